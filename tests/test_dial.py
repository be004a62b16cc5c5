"""``parley dial`` end to end on loopback: the Twilio SDK places the call with a fake REST API, the fake "answers"
by connecting a Twilio media stream (written from the protocol document) to the dial command's server, a
voicemail greeting and a beep play, the agent leaves its message after the beep, and the call is hung up through
the REST API — then the command returns."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket

import anyio
import numpy as np
import pytest
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from pipeline.cli.dial import command_dial
from pipeline.transports.telephony.call import PhoneSocketClosed
from tests.fakes.phone_platform import PHONE_RATE, PlatformSimulator
from tests.fakes.telephony_rest import FakeTelephonyRest, RestCall
from tests.speech_audio import speak

pytestmark = [pytest.mark.anyio, pytest.mark.vendor_sdk]
SID, TOKEN, PUBLIC = "AC" + "1" * 32, "dial-secret", "https://agent.example.com"


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_dial_places_the_call_leaves_a_voicemail_after_the_beep_and_hangs_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    greeting = speak(
        "The person you are calling is not available. Please leave a message.", sample_rate=PHONE_RATE
    )
    t = np.arange(round(0.4 * PHONE_RATE)) / PHONE_RATE
    beep = (np.sin(2 * np.pi * 1000 * t) * 8000).astype(np.int16)
    callee: dict[str, PlatformSimulator] = {}
    loop = asyncio.get_running_loop()

    async def answer() -> None:
        signature = RequestValidator(TOKEN).compute_signature("wss://agent.example.com/twilio/stream", {})
        async with connect(
            f"ws://127.0.0.1:{port}/twilio/stream", additional_headers={"X-Twilio-Signature": signature}
        ) as ws:
            platform = PlatformSimulator("twilio", WebSocketLine(ws))  # type: ignore[arg-type]
            callee["platform"] = platform
            async with anyio.create_task_group() as group:
                group.start_soon(platform.run)
                with contextlib.suppress(PhoneSocketClosed):  # the server hangs up when the message is left
                    await platform.connect()
                    await platform.media(np.zeros(PHONE_RATE // 4, dtype=np.int16))
                    await platform.media(greeting)
                    await platform.media(np.zeros(PHONE_RATE // 4, dtype=np.int16))
                    await platform.media(beep)
                    await platform.media(np.zeros(PHONE_RATE * 8, dtype=np.int16))

    def on_call(call: RestCall) -> None:
        if call.path.endswith("/Calls.json"):
            loop.call_soon(lambda: asyncio.ensure_future(answer()))

    async with FakeTelephonyRest(on_call=on_call) as fake:
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
        monkeypatch.setenv("TWILIO_API_BASE", fake.base_url)
        args = argparse.Namespace(
            number="+15551230000",
            from_="+15550000001",
            platform="twilio",
            config="local",
            public_url=PUBLIC,
            host="127.0.0.1",
            port=port,
            voicemail_message="Hi, this is Parley with a reminder about your appointment tomorrow.",
            platform_amd=False,
        )
        with anyio.fail_after(60):
            assert await anyio.to_thread.run_sync(command_dial, args) == 0

    create, *rest = fake.calls
    assert create.form["To"] == "+15551230000" and create.form["Url"] == f"{PUBLIC}/twilio"
    assert [(c.method, c.form) for c in rest] == [("POST", {"Status": "completed"})]  # hung up through REST
    platform = callee["platform"]
    media = [m for m in platform.received if m.message["event"] == "media"]
    assert json.dumps(media[0].message).count("MZ1") == 1
    # the message was spoken after the beep: about 4 s of espeak speech went out (20 ms per media message)
    assert len(media) * 0.02 > 2.5
