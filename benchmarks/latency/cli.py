"""``python -m pipeline bench [latency]``: latency per turn over a scenario.

    uv run python -m pipeline bench --profile typical --scenario customer_support --turns 30
    uv run python -m pipeline bench --profile zero --concurrency 4 --out bench/zero
    uv run python -m pipeline bench --config configs/cloud.yaml --scenario appointment_booking

``--profile`` starts loopback fakes of Deepgram, OpenAI and ElevenLabs with fixed latencies and runs the real
adapters against them; ``--config`` uses the config's providers (real services when their keys are set). The
caller is espeak-ng (or WAV files) played in real time into Silero VAD. Writes ``results.json``, ``turns.csv``
and ``latency.png`` to ``--out``.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

# Only light imports here: every ``python -m pipeline`` command declares these options. The runner (SDKs,
# fakes, matplotlib) is imported when the benchmark runs.
from benchmarks.cli_main import run_main
from benchmarks.latency.profiles import CALLER_VOICE, PROFILES, TurnTaking
from benchmarks.latency.scenario import ScenarioError, available_scenarios, load_scenario

DEFAULT_SCENARIO = "customer_support"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--config", help="a Parley YAML config: its providers (real services) instead of fakes"
    )
    source.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        help="simulated provider latencies on loopback fakes (default: typical)",
    )
    parser.add_argument(
        "--scenario",
        default=DEFAULT_SCENARIO,
        help=f"a shipped scenario ({', '.join(available_scenarios())}) or a YAML file "
        f"(default: {DEFAULT_SCENARIO})",
    )
    parser.add_argument("--turns", type=_positive, help="turns per session: the scenario repeated or cut")
    parser.add_argument("--concurrency", type=_positive, default=1, help="sessions at once (default 1)")
    parser.add_argument("--out", help="output directory (default: bench/latency-<time>)")
    parser.add_argument(
        "--pause-on-onset",
        action="store_true",
        help="simulated profiles: pause the agent at the caller's speech onset (false-interruption "
        "handling) instead of talking on until the interruption decision",
    )
    parser.add_argument(
        "--endpointing-delay",
        type=float,
        help="simulated profiles: the silence detector's wait in seconds (default: the VAD's 0.256 s, when the "
        "final transcript arrives with the decision; longer waits leave room for --preemptive)",
    )
    parser.add_argument(
        "--preemptive",
        choices=("off", "on", "budget"),
        default="off",
        help="preemptive generation: start the LLM on the final transcript before the end of turn",
    )
    parser.add_argument(
        "--caller-voice", default=CALLER_VOICE, help=f"espeak-ng voice (default {CALLER_VOICE})"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--no-warmup", action="store_true", help="skip the short unrecorded call that warms caches up first"
    )


def run(args: argparse.Namespace) -> int:
    from benchmarks.latency.caller_audio import CallerAudioError
    from benchmarks.latency.report import print_report, write_outputs
    from benchmarks.latency.results import checks
    from benchmarks.latency.runner import BenchmarkPlan, run_benchmark
    from pipeline.cli.errors import CliError

    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        raise CliError(str(exc)) from None
    config = Path(args.config) if args.config else None
    if config is not None and not config.is_file():
        raise CliError(f"{config}: no such file")
    profile = None if config is not None else PROFILES[args.profile or "typical"]
    plan = BenchmarkPlan(
        scenario=scenario,
        profile=profile,
        config_path=config,
        turns=args.turns,
        concurrency=args.concurrency,
        turn_taking=_turn_taking(args),
        caller_voice=args.caller_voice,
        progress=not args.no_progress,
        warmup=not args.no_warmup,
    )
    out = (
        Path(args.out)
        if args.out
        else Path("bench") / datetime.datetime.now().strftime("latency-%Y%m%d-%H%M%S")
    )
    out.mkdir(parents=True, exist_ok=True)
    try:
        result = run_benchmark(plan)
    except CallerAudioError as exc:
        raise CliError(str(exc)) from None
    write_outputs(out, result)
    print_report(result, out)
    return 0 if checks(result.records)["turns_with_metrics"] > 0 else 1


def _turn_taking(args: argparse.Namespace) -> TurnTaking:
    if args.endpointing_delay is None:
        return TurnTaking(pause_on_onset=args.pause_on_onset, preemptive=args.preemptive)
    return TurnTaking(
        endpointing_delay=args.endpointing_delay,
        pause_on_onset=args.pause_on_onset,
        preemptive=args.preemptive,
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def main(argv: list[str] | None = None) -> int:
    return run_main("parley bench latency", add_arguments, run, argv)


if __name__ == "__main__":
    sys.exit(main())
