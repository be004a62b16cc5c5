"""``parley dial +1... --config ... --public-url https://...``: place an outbound call and run the agent on it.

The telephony routes are served on ``--host:--port`` (the platform reaches them at ``--public-url``), the call is
placed through the platform's REST API, and the command returns when the call is over. With
``--voicemail-message`` the callee's answer is classified (human / machine); on a machine the agent waits for the
beep, leaves the message and hangs up.
"""

from __future__ import annotations

import argparse
from typing import Any

import anyio

from pipeline.base.extras import MissingExtraError
from pipeline.cli.errors import CliError
from pipeline.session.named_configs import DEFAULT_CONFIG


def add_dial_command(commands: Any) -> None:
    dial = commands.add_parser("dial", help="place an outbound phone call and run the agent on it")
    dial.add_argument("number", help="the number to call, E.164 (+15551230000)")
    dial.add_argument(
        "--from", dest="from_", required=True, help="the caller id to call from (one of your numbers)"
    )
    dial.add_argument("--platform", choices=["twilio", "plivo", "telnyx"], default="twilio")
    dial.add_argument(
        "--config",
        default=DEFAULT_CONFIG,
        help=f"a YAML file, or a shipped config by name (default: {DEFAULT_CONFIG})",
    )
    dial.add_argument(
        "--public-url", help="https://... where the platform reaches this machine (or PARLEY_PUBLIC_URL)"
    )
    dial.add_argument("--host", default="127.0.0.1")
    dial.add_argument("--port", type=int, default=8080)
    dial.add_argument("--voicemail-message", help="left after the beep when a machine answers")
    dial.add_argument("--platform-amd", action="store_true", help="also ask Twilio for its AMD (AnsweredBy)")
    dial.set_defaults(handler=command_dial)


def command_dial(args: argparse.Namespace) -> int:
    import uvicorn
    from starlette.applications import Starlette

    from pipeline.session.config import load_config
    from pipeline.session.pipeline import Pipeline
    from pipeline.session.session import Session
    from pipeline.session.voicemail import VoicemailPolicy

    try:
        from pipeline.transports.telephony.messages import StreamStarted
        from pipeline.transports.telephony.outbound import OutboundCallError, place_call
        from pipeline.transports.telephony.routes import TelephonyRoutes
        from pipeline.transports.telephony.settings import TelephonySettings
    except MissingExtraError as exc:  # a plain `pip install parley`: no vendor SDKs
        raise CliError(str(exc)) from None

    settings = TelephonySettings.from_env(public_url=args.public_url)
    if not settings.public_url:
        raise CliError("dial needs --public-url (or PARLEY_PUBLIC_URL): the platform must reach this machine")
    loaded = load_config(args.config)
    pipeline = Pipeline.from_config(loaded)
    call_over = anyio.Event()

    def on_session(session: Session, started: StreamStarted) -> None:
        if args.voicemail_message:
            session.phone.detect_voicemail(VoicemailPolicy(message=args.voicemail_message))

    routes = TelephonyRoutes(
        pipeline, settings, on_session=on_session, on_call_ended=lambda report: call_over.set()
    )
    server = uvicorn.Server(
        uvicorn.Config(Starlette(routes=routes.routes()), host=args.host, port=args.port, log_level="warning")
    )

    async def run() -> None:
        async with pipeline, anyio.create_task_group() as group:
            group.start_soon(server.serve)
            while not server.started:
                await anyio.sleep(0.05)
            try:
                placed = await place_call(
                    settings, args.platform, args.number, args.from_, platform_amd=args.platform_amd
                )
            except OutboundCallError as exc:
                server.should_exit = True
                raise CliError(str(exc)) from None
            print(
                f"calling {args.number} via {placed.platform} ({placed.call_id}); waiting for the call to end"
            )
            await call_over.wait()
            server.should_exit = True

    anyio.run(run)
    print("call over")
    return 0
