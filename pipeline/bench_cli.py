"""``python -m pipeline bench``: registered here, implemented in ``benchmarks``-facing modules."""

from __future__ import annotations

import argparse
from typing import Any


def add_bench_commands(commands: Any) -> None:
    bench = commands.add_parser("bench", help="latency-per-turn and capacity benchmarks")
    bench.set_defaults(handler=_not_yet)


def _not_yet(args: argparse.Namespace) -> int:
    from pipeline.cli import CliError

    raise CliError("the benchmark harness is not built yet")
