"""The entry point every benchmark command shares (``python -m benchmarks.<name>.cli``, or ``parley bench``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from pipeline.cli.errors import CliError


def run_main(
    prog: str,
    add_arguments: Callable[[argparse.ArgumentParser], None],
    run: Callable[[argparse.Namespace], int],
    argv: Sequence[str] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=prog)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
