"""``parley`` (or ``python -m pipeline``): run a call (demo, a WAV file or the microphone), check a config, write a
starter project, run benchmarks. Errors print one clear line and exit non-zero."""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import anyio

from pipeline.base.audio import AudioFormatError
from pipeline.base.compute import inline_compute
from pipeline.cli.bench import add_bench_commands, command_bench
from pipeline.cli.calls import add_calls_commands
from pipeline.cli.dial import add_dial_command
from pipeline.cli.errors import CliError
from pipeline.cli.report import latency_table, transcript_lines
from pipeline.cli.serve import add_serve_commands
from pipeline.cli.starter import add_init_command
from pipeline.session.config import ConfigError, LoadedConfig, ProviderChoice, load_config
from pipeline.session.named_configs import DEFAULT_CONFIG, packaged_config_names
from pipeline.session.pipeline import Pipeline
from pipeline.transports.runner import CallResult, run_call
from providers.errors import ProviderError, root_cause

T = TypeVar("T")
CONFIG_HELP = f"a YAML file, or a shipped config by name: {', '.join(packaged_config_names())} (default: {DEFAULT_CONFIG})"


def add_run_command(commands: Any) -> None:
    run = commands.add_parser("run", help="run a call: the offline demo, a WAV file (--input) or --mic")
    run.add_argument("--config", default=DEFAULT_CONFIG, help=CONFIG_HELP)
    source = run.add_mutually_exclusive_group()
    source.add_argument("--input", help="a WAV recording of the caller")
    source.add_argument(
        "--mic", action="store_true", help="talk to the agent through the microphone and speaker"
    )
    run.add_argument("--out", help="output directory (default: runs/<time>)")
    run.add_argument("--fast", action="store_true", help="simulate time instead of waiting in real time")
    run.add_argument(
        "--calls-db", help="call store: a SQLite path or postgresql:// URL (default: runs/calls.db)"
    )
    run.add_argument(
        "--recording",
        choices=("on", "caller", "agent", "off"),
        default="on",
        help="call recording streamed to the output directory (default: on, stereo)",
    )
    run.set_defaults(handler=command_run)


def add_check_config_command(commands: Any) -> None:
    check = commands.add_parser("check-config", help="validate a config and say what it would build")
    check.add_argument("config", nargs="?", default=DEFAULT_CONFIG, help=CONFIG_HELP)
    check.set_defaults(handler=command_check_config)


# The subcommands, in the order `parley --help` lists them.
COMMANDS: tuple[Callable[[Any], None], ...] = (
    add_run_command,
    add_check_config_command,
    add_init_command,
    add_serve_commands,
    add_dial_command,
    add_calls_commands,
    add_bench_commands,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley", description="Parley voice agent runtime")
    commands = parser.add_subparsers(dest="command", required=True)
    for add_command in COMMANDS:
        add_command(commands)
    for command in commands.choices.values():
        add_logging_options(command)
    return parser


def add_logging_options(parser: argparse.ArgumentParser) -> None:
    """``--log-level`` and ``--log-format`` (every command has them; quiet by default)."""
    from pipeline.observe.logs import LOG_LEVELS

    group = parser.add_argument_group("logging")
    group.add_argument("--log-level", choices=LOG_LEVELS, default="warning", help="default: warning")
    group.add_argument("--log-format", choices=("text", "json"), default="text", help="default: text")


def main(argv: Sequence[str] | None = None, *, started: float | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:  # every option after it belongs to the benchmark
        args = argparse.Namespace(handler=command_bench, arguments=argv[1:])
    else:
        args = build_parser().parse_args(argv)
    args.started = started
    from pipeline.observe.logs import configure_logging
    from vad import VadError

    level, log_format = getattr(args, "log_level", "warning"), getattr(args, "log_format", "text")
    configure_logging(level, log_format)
    os.environ["PARLEY_LOG_LEVEL"], os.environ["PARLEY_LOG_FORMAT"] = level, log_format  # server workers

    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        cause = root_cause(error)
        if isinstance(cause, CliError | ConfigError | AudioFormatError | ProviderError | VadError):
            print(f"error: {cause}", file=sys.stderr)
            return 2
        raise


def command_check_config(args: argparse.Namespace) -> int:
    loaded = load_config(args.config)
    print(f"{loaded.source}: ok")
    print(f"  stt: {_provider_name(loaded.stt)}")
    print(f"  llm: {', '.join(choice.spec.name for choice in loaded.llm)}")
    print(f"  tts: {_provider_name(loaded.tts)}")
    print(f"  vad: {loaded.config.vad.kind}{' (batched)' if loaded.config.vad.batched else ''}")
    print(f"  tools: {', '.join(tool.name for tool in loaded.tools) or 'none'}")
    return 0


def _provider_name(choice: ProviderChoice) -> str:
    """The YAML name; for ``local``, also the engine it picks on this install."""
    from providers.local.choice import LocalSttOptions, LocalTtsOptions, chosen_stt, chosen_tts

    if isinstance(choice.options, LocalSttOptions):
        return f"local ({chosen_stt(choice.options)})"
    if isinstance(choice.options, LocalTtsOptions):
        return f"local ({chosen_tts(choice.options)})"
    return choice.spec.name


def run_async(function: Callable[[], Awaitable[T]], *, fast: bool) -> T:
    """Real time on asyncio; with ``fast``, trio on a virtual clock with blocking work run inline."""
    if not fast:
        return anyio.run(function)
    from trio.testing import MockClock

    async def inline() -> T:
        with inline_compute():
            return await function()

    return anyio.run(inline, backend="trio", backend_options={"clock": MockClock(autojump_threshold=0)})


def command_run(args: argparse.Namespace) -> int:
    loaded = load_config(args.config)
    out_dir = Path(args.out) if args.out else Path("runs") / datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    pipeline = Pipeline.from_config(loaded)
    caller = _choose_caller(args, loaded, pipeline.stt.provider)
    print(
        f"stt {pipeline.stt.provider} ({pipeline.stt.model}), llm {pipeline.llm.provider}, "
        f"tts {pipeline.tts.provider} ({pipeline.tts.model})",
        flush=True,
    )
    from pipeline.cli.calls import default_calls_db
    from pipeline.records.connect import open_store
    from pipeline.records.observer import CallRecords

    records = CallRecords(
        open_store(args.calls_db or default_calls_db()),
        recordings=out_dir,
        mode=args.recording,
        sample_rate=loaded.settings.audio.sample_rate,
        file_name="call.wav",
    )
    pipeline.observers.append(records)

    async def call() -> CallResult:
        async with pipeline:
            try:
                return await run_call(pipeline, caller, out_dir, keep_audio=False)
            finally:
                await records.store.aclose()

    result = run_async(call, fast=args.fast)
    result.recording_path = records.recording_path(result.session_id)
    _print_result(result)
    print(f"call record: {result.session_id} (`calls show {result.session_id}`)")
    if result.failed:
        print(f"error: the call failed: {result.end_error}", file=sys.stderr)
        return 1
    if args.started is not None and not args.fast and result.first_audio_processed is not None:
        # asyncio's clock is time.monotonic(), the clock __main__ read at start-up
        print(
            f"cold start: {result.first_audio_processed - args.started:.2f} s to the first caller audio processed"
        )
    return 0


def _choose_caller(args: argparse.Namespace, loaded: LoadedConfig, stt_provider: str) -> Any:
    from pipeline.transports.callers import WavCaller

    if args.input:
        path = Path(args.input)
        if not path.exists():
            raise CliError(f"{path}: no such file")
        return WavCaller(path, loaded.settings.audio.sample_rate)
    if args.mic:
        from pipeline.transports.microphone import MicrophoneCaller, MicrophoneUnavailable

        try:
            return MicrophoneCaller.open(loaded.settings.audio.sample_rate)
        except MicrophoneUnavailable as exc:
            raise CliError(str(exc)) from None
    from pipeline.demo.caller import DemoCaller, caller_voice

    return DemoCaller.default(loaded.settings.audio.sample_rate, voice=caller_voice(stt_provider))


def _print_result(result: CallResult) -> None:
    print("\ntranscript")
    for line in transcript_lines(result.events):
        print(f"  {line}")
    print("\nlatency per turn (user stopped speaking -> first agent audio)")
    for line in latency_table(result.events):
        print(f"  {line}")
    print(f"\nagent audio: {result.agent_seconds:.1f} s")
    if result.recording_path is not None:
        print(f"call recording (caller left, agent right): {result.recording_path}")
    if result.events_path is not None:
        print(f"events: {result.events_path}")
