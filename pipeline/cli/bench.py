"""``python -m pipeline bench``: the latency-per-turn harness and the capacity benchmark.

The implementations live in the repository's ``benchmarks/`` package (with the scenarios and the loopback fake
servers from ``tests/fakes``), so these commands run from a checkout of Parley.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any


def add_bench_commands(commands: Any) -> None:
    bench = commands.add_parser("bench", help="latency per turn (default) and capacity benchmarks")
    _latency_arguments(bench)
    bench.set_defaults(handler=lambda args: _run("benchmarks.latency.cli", args))
    modes = bench.add_subparsers(dest="bench_mode")
    latency = modes.add_parser("latency", help="latency per turn over a scenario (the default)")
    _latency_arguments(latency)
    latency.set_defaults(handler=lambda args: _run("benchmarks.latency.cli", args))
    capacity = modes.add_parser("capacity", help="how many real-time sessions this machine sustains")
    _load("benchmarks.capacity.cli").add_arguments(capacity)
    capacity.set_defaults(handler=lambda args: _run("benchmarks.capacity.cli", args))


def _latency_arguments(parser: argparse.ArgumentParser) -> None:
    _load("benchmarks.latency.cli").add_arguments(parser)


def _load(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("benchmarks"):
            return _Missing(module)
        raise


class _Missing:
    """Stands in for the benchmarks package outside a checkout."""

    def __init__(self, module: str) -> None:
        self.module = module

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("rest", nargs=argparse.REMAINDER)

    def run(self, args: argparse.Namespace) -> int:
        from pipeline.cli.main import CliError

        raise CliError(
            f"{self.module} is not available: run the benchmarks from a checkout of the Parley repository"
        )


def _run(module: str, args: argparse.Namespace) -> int:
    return int(_load(module).run(args) or 0)
