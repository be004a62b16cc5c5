"""``parley bench``: the latency-per-turn harness and the capacity benchmark.

They live in the repository's ``benchmarks/`` folder (with the scenarios and the loopback fake servers of
``tests/fakes``), which is not part of the installed package: this command runs them from a checkout of Parley, in
a child process (``python -m benchmarks.<name>.cli ...``), so the runtime never imports them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pipeline.cli.errors import CliError

BENCHMARKS = {
    "latency": ("benchmarks.latency.cli", "latency per turn over a scenario (the default)"),
    "capacity": ("benchmarks.capacity.cli", "how many real-time sessions this machine sustains"),
    "soak": (
        "benchmarks.soak",
        "N looping sessions for T minutes with random faults: memory, fds, lost turns",
    ),
}


def add_bench_commands(commands: Any) -> None:
    bench = commands.add_parser(
        "bench",
        help="benchmarks (from a checkout): latency (default), capacity, soak",
        description="Runs the benchmarks of a Parley checkout: `bench [latency|capacity] [options]`; "
        "`bench latency --help` lists a benchmark's options.",
        add_help=False,
    )
    bench.add_argument("arguments", nargs=argparse.REMAINDER)
    bench.set_defaults(handler=command_bench)


def command_bench(args: argparse.Namespace) -> int:
    arguments = list(args.arguments)
    if arguments[:1] in (["-h"], ["--help"]):
        print(
            "usage: parley bench [latency|capacity|soak] [options]   (`parley bench latency --help` for the options)"
        )
        return 0
    name = arguments.pop(0) if arguments and arguments[0] in BENCHMARKS else "latency"
    module = BENCHMARKS[name][0]
    checkout = find_checkout()
    if checkout is None:
        raise CliError(
            "the benchmarks are not part of the installed package: run `parley bench` from a checkout of the "
            "Parley repository (git clone, then `uv run parley bench`)"
        )
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(checkout), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.call([sys.executable, "-m", module, *arguments], cwd=checkout, env=environment)


def find_checkout() -> Path | None:
    """The repository root holding ``benchmarks/``: the working directory (or a parent), else the folder this
    package was imported from when that is a checkout."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents, Path(__file__).resolve().parents[2]):
        if (folder / "benchmarks" / "latency" / "cli.py").is_file():
            return folder
    return None
