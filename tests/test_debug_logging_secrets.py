"""Hardening (issue 18, item 8): with DEBUG logging on, the vendor libraries under the adapters never print the
API key (websockets logs every handshake header; the OpenAI client logs its requests)."""

from __future__ import annotations

import logging
from contextlib import aclosing

import pytest

from providers.deepgram.stt import DeepgramOptions, DeepgramStt
from providers.elevenlabs.options import ElevenLabsWebsocketOptions
from providers.elevenlabs.websocket_tts import ElevenLabsTts
from providers.llm import ChatMessage, LlmRequest, Role
from providers.openai.llm import OpenAILlm, OpenAILlmOptions
from providers.redact import redact
from tests.adapters import Feed, is_final, read_until, speak
from tests.fakes.audio import utterance
from tests.fakes.deepgram import FakeDeepgram
from tests.fakes.elevenlabs import FakeElevenLabs
from tests.fakes.openai import FakeOpenAI

pytestmark = [pytest.mark.anyio, pytest.mark.vendor_sdk]

EL_KEY = "xi-secretkey-0a1b2c3d4e5f"
DG_KEY = "dg-secretkey-9f8e7d6c5b4a"
OA_KEY = "sk-secretkey-1122334455667788"


def test_auth_values_are_masked_in_log_text() -> None:
    assert "0a1b2c3d" not in redact("> xi-api-key: 0a1b2c3d4e5f6a7b")
    assert "9f8e7d6c" not in redact("> Authorization: Token 9f8e7d6c5b4a3")
    assert "Authorization" in redact("> Authorization: Token 9f8e7d6c5b4a3")


def client_side(caplog: pytest.LogCaptureFixture) -> str:
    """What the process logged, without the in-process fake servers' own logs."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("websockets.server"))


async def test_elevenlabs_handshake_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeElevenLabs(api_key=EL_KEY) as fake:
        tts = ElevenLabsTts(
            ElevenLabsWebsocketOptions(
                api_key=EL_KEY, voice_id="v", base_url=fake.base_url, ws_url=fake.ws_url
            )
        )
        try:
            await speak(tts, ["Hello there."])
        finally:
            await tts.aclose()
    client_lines = [r.getMessage() for r in caplog.records if r.name == "websockets.client"]
    assert any("xi-api-key" in line.lower() for line in client_lines)  # the header was logged...
    assert "secretkey" not in client_side(caplog)  # ...without its value


async def test_deepgram_handshake_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeDeepgram(api_key=DG_KEY) as fake:
        fake.transcripts.push("Hello there.")
        stt = DeepgramStt(DeepgramOptions(api_key=DG_KEY, ws_url=fake.url))
        async with stt.stream(sample_rate=16000) as stream:
            await Feed(stream).send(utterance(0.3, 1.0, 0.5))
            await read_until(stream, is_final)
    assert "secretkey" not in client_side(caplog)


async def test_openai_request_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeOpenAI(api_key=OA_KEY) as fake:
        fake.replies.push("Hi.")
        llm = OpenAILlm(OpenAILlmOptions(api_key=OA_KEY, base_url=fake.base_url, max_retries=0))
        try:
            ask = LlmRequest(messages=(ChatMessage(Role.USER, "Hello?"),))
            async with aclosing(llm.stream(ask)) as chunks:
                async for _ in chunks:
                    pass
        finally:
            await llm.aclose()
    assert "secretkey" not in client_side(caplog)
