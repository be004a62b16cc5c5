"""Phone calls through the real server (uvicorn on 127.0.0.1) with the telephony routes plugged in: a Twilio
media stream counts as a session (and is refused at the limit with 4503), a whole call works over a real
WebSocket, and a ``stop`` mid-reply frees the session at once."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import numpy as np
import pytest
import uvicorn
from starlette.applications import Starlette
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from pipeline.server.app import create_app
from pipeline.server.options import ServeOptions
from pipeline.server.telephony import telephony_routes
from pipeline.transports.telephony.call import PhoneSocketClosed
from tests.doubles import tone
from tests.fakes.phone_platform import PHONE_RATE, PlatformSimulator
from tests.server_harness import simple_pipeline

pytestmark = [pytest.mark.anyio, pytest.mark.vendor_sdk]
TOKEN, PUBLIC = "twilio-secret", "https://agent.example.com"


class WebSocketLine:
    def __init__(self, ws: object) -> None:
        self.ws = ws

    async def receive(self) -> str:
        try:
            return str(await self.ws.recv())  # type: ignore[attr-defined]
        except ConnectionClosed:
            raise PhoneSocketClosed from None

    async def send(self, text: str) -> None:
        try:
            await self.ws.send(text)  # type: ignore[attr-defined]
        except ConnectionClosed:
            raise PhoneSocketClosed from None


@asynccontextmanager
async def phone_server(
    monkeypatch: pytest.MonkeyPatch, **overrides: object
) -> AsyncIterator[tuple[Starlette, int]]:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    options = ServeOptions(token="t", public_url=PUBLIC, **overrides)  # type: ignore[arg-type]
    app = create_app(simple_pipeline(), options, extra_routes=[telephony_routes])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve, [sock])
        with anyio.fail_after(10):
            while not server.started:
                await anyio.sleep(0.01)
        try:
            yield app, sock.getsockname()[1]
        finally:
            server.should_exit = True
    sock.close()


def signed_headers() -> dict[str, str]:
    return {
        "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(
            "wss://agent.example.com/twilio/stream", {}
        )
    }


async def test_a_twilio_call_through_the_server_and_stop_frees_the_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with phone_server(monkeypatch) as (app, port):
        lifecycle = app.state.context.lifecycle
        async with connect(f"ws://127.0.0.1:{port}/twilio/stream", additional_headers=signed_headers()) as ws:
            platform = PlatformSimulator("twilio", WebSocketLine(ws))  # type: ignore[arg-type]
            async with anyio.create_task_group() as group:
                group.start_soon(platform.run)
                await platform.connect()
                await platform.media(tone(0.6, rate=PHONE_RATE))
                await platform.media(np.zeros(PHONE_RATE // 2, dtype=np.int16))
                with anyio.fail_after(10):
                    while platform.heard_seconds() < 0.3:
                        await anyio.sleep(0.02)
                assert lifecycle.active_sessions == 1
                await platform.stop()  # mid-reply
                stopped = anyio.current_time()
                with anyio.fail_after(5):
                    while lifecycle.active_sessions:
                        await anyio.sleep(0.005)
                freed_after = anyio.current_time() - stopped
                group.cancel_scope.cancel()
        assert platform.sent("media") and platform.sent("mark")
        assert freed_after < 0.2  # a hang-up does not wait for the reply to finish playing


async def test_the_session_limit_refuses_a_phone_stream_with_4503(monkeypatch: pytest.MonkeyPatch) -> None:
    async with phone_server(monkeypatch, max_sessions=1) as (_, port):
        url = f"ws://127.0.0.1:{port}/twilio/stream"
        async with connect(url, additional_headers=signed_headers()) as first:
            platform = PlatformSimulator("twilio", WebSocketLine(first))  # type: ignore[arg-type]
            await platform.connect()
            await anyio.sleep(0.2)
            async with connect(url, additional_headers=signed_headers()) as second:
                with pytest.raises(ConnectionClosed) as closed:
                    await second.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4503
            with contextlib.suppress(PhoneSocketClosed):
                await platform.stop()
