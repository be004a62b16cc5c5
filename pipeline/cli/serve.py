"""``serve`` and ``call``: the voice-agent server, and a client that calls it with a WAV."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from pipeline.cli.errors import CliError
from pipeline.server.gc_tuning import GcMode
from pipeline.session.named_configs import DEFAULT_CONFIG, config_file, packaged_config_names


def add_serve_commands(commands: Any) -> None:
    serve = commands.add_parser("serve", help="serve the agent over WebSockets (PROTOCOL.md) and phone lines")
    serve.add_argument(
        "--config",
        default=DEFAULT_CONFIG,
        help=f"a YAML file, or a shipped config by name (default: {DEFAULT_CONFIG})",
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (one per core)")
    serve.add_argument("--public-url", help="the server's public base URL behind a proxy (https://...)")
    serve.add_argument("--max-sessions", type=int, default=50, help="concurrent calls per worker")
    serve.add_argument("--max-message-bytes", type=int, default=65536)
    serve.add_argument("--idle-timeout", type=float, default=30.0, help="seconds without client messages")
    serve.add_argument("--drain-deadline", type=float, default=60.0, help="SIGTERM: seconds calls may go on")
    serve.add_argument(
        "--gc",
        choices=[mode.value for mode in GcMode],
        default=GcMode.TUNED.value,
        help="garbage collector after start-up: tuned (freeze, rarer young collections; default) or Python's",
    )
    serve.set_defaults(handler=command_serve)

    call = commands.add_parser("call", help="call a Parley server with a WAV (token from PARLEY_TOKEN)")
    call.add_argument("url", help="ws://HOST:PORT/ws")
    call.add_argument("--input", required=True, help="the caller's WAV")
    call.add_argument("--out", default="reply.wav", help="the agent's audio (WAV)")
    call.add_argument("--sample-rate", type=int, default=16000)
    call.set_defaults(handler=command_call)


def command_serve(args: argparse.Namespace) -> int:
    from pipeline.server.options import ServeOptions
    from pipeline.server.run import serve

    config = config_file(args.config)
    if not config.is_file():
        names = ", ".join(packaged_config_names())
        raise CliError(f"{args.config}: no such config (shipped configs, loadable by name: {names})")
    if args.workers < 1 or args.max_sessions < 1:
        raise CliError("--workers and --max-sessions must be at least 1")
    options = ServeOptions(
        config=str(config),
        host=args.host,
        port=args.port,
        workers=args.workers,
        public_url=args.public_url,
        max_sessions=args.max_sessions,
        max_message_bytes=args.max_message_bytes,
        idle_timeout=args.idle_timeout,
        drain_deadline=args.drain_deadline,
        gc=args.gc,
    ).with_env_secrets()
    serve(options)
    return 0


def command_call(args: argparse.Namespace) -> int:
    import anyio

    from pipeline.server.client import call, write_agent_audio

    wav = Path(args.input)
    if not wav.exists():
        raise CliError(f"{wav}: no such file")

    async def run() -> Any:
        return await call(args.url, wav, token=os.environ.get("PARLEY_TOKEN"), sample_rate=args.sample_rate)

    try:
        summary = anyio.run(run)
    except OSError as exc:
        raise CliError(f"cannot reach {args.url}: {exc}") from None
    seconds = write_agent_audio(summary, args.out, args.sample_rate)
    for event in summary.events:
        if event.get("type") == "user_transcript" and event.get("is_final"):
            print(f"caller: {event.get('text')}")
        elif event.get("type") == "agent_stopped_speaking":
            print(f"agent:  {event.get('heard_text')}")
    print(f"agent audio: {seconds:.1f} s -> {args.out}")
    print(f"closed: {summary.close_code} {summary.close_reason}".rstrip())
    return 0 if summary.close_code in (1000, None) else 1
