"""``python -m pipeline bench capacity``: how many real-time sessions this machine sustains.

Each step runs N sessions (real ``Session`` objects with Silero VAD, the turn detector and simulated providers),
split over one worker process per core, for ``--seconds`` of measurement; the ramp goes on to the next N until a
step falls behind real time (p99 frame lag over ``--lag-limit-ms`` or any dropped frame; see ``lag.py`` for how
frame lag is defined). Prints a table row per step and writes ``capacity.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
from pathlib import Path
from typing import Any

from benchmarks.capacity.conversation import CallerAudio, synthesize_caller
from benchmarks.capacity.ramp import RampConfig, run_ramp
from benchmarks.capacity.report import (
    TARGET_MB_PER_SESSION,
    TARGET_SESSIONS,
    CapacityReport,
    StepResult,
    table_header,
    table_row,
)
from benchmarks.capacity.ws_call import Through
from benchmarks.cli_main import run_main
from pipeline.cli.errors import CliError
from pipeline.server.gc_tuning import GcMode


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = RampConfig()
    parser.add_argument("--start", type=int, default=defaults.start, help="sessions in the first step")
    parser.add_argument(
        "--step", type=int, default=defaults.step, help="later steps: the next multiples of this"
    )
    parser.add_argument("--max", type=int, default=defaults.maximum, help="sessions in the largest step")
    parser.add_argument("--seconds", type=float, default=defaults.seconds, help="measurement time per step")
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes (default: one per core); with --through serve, the server's --workers",
    )
    parser.add_argument(
        "--unbatched", action="store_true", help="run each VAD window on its own (shared, unbatched engine)"
    )
    parser.add_argument(
        "--offload-min-rows",
        type=int,
        default=defaults.offload_min_rows,
        help="run VAD batches of at least this many rows in a worker thread (default: never; with one process "
        "per core the thread only competes with its own event loop)",
    )
    parser.add_argument(
        "--gc",
        choices=[mode.value for mode in GcMode],
        default=defaults.gc_mode.value,
        help="garbage collector: Python's defaults, or tuned for a real-time server (freeze + rarer collections)",
    )
    parser.add_argument(
        "--ramp-seconds",
        type=float,
        default=defaults.ramp_seconds,
        help="the sessions start spread over this",
    )
    parser.add_argument(
        "--settle-seconds", type=float, default=defaults.settle_seconds, help="wait before measuring"
    )
    parser.add_argument(
        "--lag-limit-ms", type=float, default=defaults.lag_limit_ms, help="p99 frame lag a step may reach"
    )
    parser.add_argument(
        "--through",
        choices=[mode.value for mode in Through],
        default=Through.PROCESS.value,
        help="feed the sessions in process, as WebSocket clients of a /ws server on loopback in each worker, or "
        "(serve) as clients in this process of a real `parley serve --workers N` child process",
    )
    parser.add_argument("--out", type=Path, help="output directory (default: runs/capacity-<time>)")


def config_from(args: argparse.Namespace) -> RampConfig:
    if args.processes < 1 or args.seconds <= 0 or args.ramp_seconds <= 0 or args.settle_seconds < 0:
        raise CliError("--processes, --seconds and --ramp-seconds must be positive, --settle-seconds >= 0")
    if args.offload_min_rows is not None and args.offload_min_rows < 1:
        raise CliError("--offload-min-rows must be at least 1")
    return RampConfig(
        start=args.start,
        step=args.step,
        maximum=args.max,
        seconds=args.seconds,
        processes=args.processes,
        batched=not args.unbatched,
        offload_min_rows=args.offload_min_rows,
        gc_mode=GcMode(args.gc),
        ramp_seconds=args.ramp_seconds,
        settle_seconds=args.settle_seconds,
        lag_limit_ms=args.lag_limit_ms,
        through=Through(args.through),
    )


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    out = args.out or Path("runs") / f"capacity-{datetime.datetime.now():%Y%m%d-%H%M%S}"
    caller = synthesize_caller()
    if config.through is Through.SERVE:
        return run_through_serve(config, caller, out)
    report = CapacityReport(config=_describe(config, caller.seconds), machine=machine_info())
    engine = "batched" if config.batched else "unbatched"
    print(
        f"capacity: {config.processes} processes, through {config.through.value}, Silero VAD {engine}, "
        f"gc {config.gc_mode.value}, "
        f"{config.seconds:g} s per step, "
        f"caller loop {caller.seconds:.1f} s"
    )
    print(table_header(), flush=True)

    def show(step: StepResult) -> None:
        print(table_row(step), flush=True)
        for message in step.error_samples:
            print(f"    error: {message}", flush=True)

    run_ramp(config, caller, report, on_step=show)
    best = report.best
    print(f"max sessions sustained: {report.max_sustained} (target >= {TARGET_SESSIONS})")
    if best is not None:
        print(
            f"resident memory per session at {best.sessions}: {best.rss_mb_per_session:.2f} MB "
            f"(target <= {TARGET_MB_PER_SESSION:g} MB)"
        )
    print(f"wrote {report.write(out)}")
    return 0


def run_through_serve(config: RampConfig, caller: CallerAudio, out: Path) -> int:
    from benchmarks.capacity.serve_process import ServeBenchError
    from benchmarks.capacity.serve_ramp import (
        COMPETING_NOTE,
        ServeReport,
        run_serve_ramp,
        serve_table_header,
        serve_table_row,
    )

    report = ServeReport(config=_describe(config, caller.seconds), machine=machine_info())
    print(
        f"capacity through `parley serve --workers {config.processes}` (a child process), callers in this "
        f"process, {config.seconds:g} s per step, caller loop {caller.seconds:.1f} s"
    )
    print(COMPETING_NOTE)
    print(serve_table_header(), flush=True)

    def show(step: Any) -> None:
        print(serve_table_row(step), flush=True)
        for message in step.error_samples:
            print(f"    error: {message}", flush=True)

    try:
        run_serve_ramp(config, caller, report, on_step=show)
    except ServeBenchError as error:
        raise CliError(str(error)) from None
    best = report.best
    print(f"max sessions sustained through serve (client on the same cores): {best.sessions if best else 0}")
    if best is not None:
        print(
            f"server only at {best.sessions}: {best.server_cpu_percent_per_session:.2f} % of a core per session, "
            f"{best.server_rss_mb_per_session:.2f} MB per session"
        )
    projection = report.projection()
    if projection is not None:
        cores = os.cpu_count() or 1
        print(
            f"projection, server CPU only: {100 * cores} % / (server CPU % per session) = {projection:.0f} sessions "
            "(CPU alone; lag and the client's share not counted)"
        )
    print(f"wrote {report.write(out)}")
    return 0


def _describe(config: RampConfig, loop_seconds: float) -> dict[str, Any]:
    return {
        "start": config.start,
        "step": config.step,
        "max": config.maximum,
        "seconds": config.seconds,
        "processes": config.processes,
        "vad": "silero-batched" if config.batched else "silero-unbatched",
        "vad_offload_min_rows": config.offload_min_rows,
        "gc": config.gc_mode.value,
        "ramp_seconds": config.ramp_seconds,
        "settle_seconds": config.settle_seconds,
        "lag_limit_ms": config.lag_limit_ms,
        "caller_loop_seconds": round(loop_seconds, 2),
        "through": config.through.value,
    }


def machine_info() -> dict[str, Any]:
    import onnxruntime

    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> int:
    return run_main("parley bench capacity", add_arguments, run, argv)


if __name__ == "__main__":
    sys.exit(main())
