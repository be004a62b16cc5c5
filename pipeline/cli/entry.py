"""The ``parley`` console script and ``python -m pipeline``: note the start time, then run the command line."""

from __future__ import annotations

import time

STARTED = time.monotonic()  # for the cold-start figure: as early as this process can take it

import os  # noqa: E402
import sys  # noqa: E402


def main() -> None:
    """Entry point of the ``parley`` script. Like ``python -m``, it makes the working directory importable, so a
    config's ``tools: [my_tools:TOOLS]`` finds ``my_tools.py`` next to where you run it."""
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    from pipeline.cli.main import main as run_command_line

    sys.exit(run_command_line(started=STARTED))
