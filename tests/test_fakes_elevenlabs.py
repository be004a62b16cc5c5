"""The real elevenlabs SDK (HTTP streaming) and a raw `websockets` client against the ElevenLabs fake."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
import websockets
from elevenlabs import VoiceSettings
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.core.api_error import ApiError
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from tests.fakes.elevenlabs import FakeElevenLabs
from tests.fakes.faults import DropAfter, ErrorFrame, Reject

pytestmark = [pytest.mark.anyio, pytest.mark.vendor_sdk]

KEY = "xi-test-key"
VOICE = "voice123"
TEXT = "Hello there."
SAMPLES_PER_CHAR = {16000: 960, 22050: 1323, 24000: 1440}


@asynccontextmanager
async def sdk_client(fake: FakeElevenLabs, key: str = KEY) -> AsyncIterator[AsyncElevenLabs]:
    """An AsyncElevenLabs on an httpx client that is closed afterwards (no leaked sockets)."""
    async with httpx.AsyncClient(timeout=10) as http:
        yield AsyncElevenLabs(api_key=key, base_url=fake.base_url, httpx_client=http)


async def stream_pcm(client: AsyncElevenLabs, text: str = TEXT, output_format: str = "pcm_16000") -> bytes:
    chunks = client.text_to_speech.stream(
        VOICE,
        text=text,
        model_id="eleven_flash_v2_5",
        output_format=output_format,
        voice_settings=VoiceSettings(stability=0.5, similarity_boost=0.75),
    )
    with anyio.fail_after(5):
        return b"".join([chunk async for chunk in chunks])


@asynccontextmanager
async def socket(
    fake: FakeElevenLabs, kind: str = "multi-stream-input", rate: int = 16000, key: str | None = KEY
) -> AsyncIterator[ClientConnection]:
    url = (
        f"{fake.ws_url}/v1/text-to-speech/{VOICE}/{kind}?model_id=eleven_flash_v2_5&output_format=pcm_{rate}"
    )
    headers = {"xi-api-key": key} if key is not None else {}
    async with websockets.connect(url, additional_headers=headers) as ws:
        yield ws


async def send(ws: ClientConnection, **message: Any) -> None:
    await ws.send(json.dumps(message))


async def receive_all(ws: ClientConnection) -> list[dict[str, Any]]:
    """Every server message until the socket closes, whatever the close code (see `ws.close_code`)."""
    messages: list[dict[str, Any]] = []
    with anyio.fail_after(5):
        try:
            async for raw in ws:
                messages.append(json.loads(raw))
        except ConnectionClosedError:
            pass
    return messages


def audio_of(messages: list[dict[str, Any]], context_id: str | None = None) -> bytes:
    return b"".join(
        base64.b64decode(m["audio"]) for m in messages if m.get("audio") and m.get("contextId") == context_id
    )


async def test_http_stream_returns_pcm_sized_by_text() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake, sdk_client(fake) as client:
        pcm = await stream_pcm(client)
    assert len(pcm) == len(TEXT) * SAMPLES_PER_CHAR[16000] * 2
    (request,) = fake.requests
    assert (request.method, request.path) == ("POST", f"/v1/text-to-speech/{VOICE}/stream")
    assert request.query["output_format"] == "pcm_16000"
    assert request.headers["xi-api-key"] == KEY
    assert request.body["text"] == TEXT
    assert request.body["model_id"] == "eleven_flash_v2_5"
    assert request.body["voice_settings"]["stability"] == 0.5


@pytest.mark.parametrize("rate", [16000, 22050, 24000])
async def test_stream_with_timestamps_alignment_matches_audio(rate: int) -> None:
    async with FakeElevenLabs(api_key=KEY) as fake, sdk_client(fake) as client:
        stream = client.text_to_speech.stream_with_timestamps(VOICE, text=TEXT, output_format=f"pcm_{rate}")
        with anyio.fail_after(5):
            chunks = [chunk async for chunk in stream]
    characters: list[str] = []
    ends: list[float] = []
    total_samples = 0
    for chunk in chunks:
        assert chunk.alignment is not None and chunk.audio_base_64 is not None
        start_seconds = total_samples / rate
        assert chunk.alignment.character_start_times_seconds[0] == pytest.approx(start_seconds)
        total_samples += len(base64.b64decode(chunk.audio_base_64)) // 2
        characters += chunk.alignment.characters
        ends += chunk.alignment.character_end_times_seconds
    assert "".join(characters) == TEXT
    assert ends[-1] == pytest.approx(total_samples / rate)
    assert total_samples == len(TEXT) * SAMPLES_PER_CHAR[rate]


async def test_http_errors_raise_api_error_with_vendor_body() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake:
        async with sdk_client(fake, key="wrong") as client:
            with pytest.raises(ApiError) as wrong_key:
                await stream_pcm(client)
        async with sdk_client(fake) as client:
            fake.faults.push(Reject(429))
            with pytest.raises(ApiError) as limited:
                await stream_pcm(client)
            with pytest.raises(ApiError) as unsupported:
                await stream_pcm(client, output_format="mp3_44100_128")
    assert wrong_key.value.status_code == 401
    assert wrong_key.value.body == {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}
    assert limited.value.status_code == 429
    assert unsupported.value.status_code == 400


async def test_http_drop_mid_stream_raises_remote_protocol_error() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake:
        fake.faults.push(DropAfter(1))
        async with sdk_client(fake) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await stream_pcm(client)


async def test_first_byte_delay() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake:
        fake.config.first_byte_delay = 0.2
        async with sdk_client(fake) as client:
            started = anyio.current_time()
            pcm = await stream_pcm(client)
            elapsed = anyio.current_time() - started
    assert len(pcm) == len(TEXT) * SAMPLES_PER_CHAR[16000] * 2
    assert elapsed >= 0.2


async def test_multi_context_flush_close_and_close_socket() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake, socket(fake) as ws:
        await send(ws, text=" ", voice_settings={"stability": 0.5}, context_id="c1")
        await send(ws, text="Hello world. ", context_id="c1")
        await send(ws, context_id="c1", flush=True)
        await send(ws, context_id="c1", close_context=True)
        await send(ws, close_socket=True)
        messages = await receive_all(ws)
        assert ws.close_code == 1000
    assert len(audio_of(messages, "c1")) == len("Hello world. ") * SAMPLES_PER_CHAR[16000] * 2
    assert messages[-1] == {"isFinal": True, "contextId": "c1"}
    first = messages[0]["normalizedAlignment"]
    assert first == {
        "chars": ["H", "e", "l", "l", "o"],
        "charStartTimesMs": [0, 60, 120, 180, 240],
        "charsDurationsMs": [60] * 5,
    }
    spoken = "".join(
        c for m in messages if "normalizedAlignment" in m for c in m["normalizedAlignment"]["chars"]
    )
    assert spoken == "Hello world. "
    assert fake.requests[0].messages_with(context_id="c1", close_context=True) == [
        {"context_id": "c1", "close_context": True}
    ]


async def test_closed_context_audio_keeps_arriving_for_n_chunks() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake:
        fake.config.chunks_after_close = 2
        fake.config.audio_pace = 0.1  # 30 ms between 300 ms chunks: the close lands between chunks
        async with socket(fake) as ws:
            await send(ws, text="A reply that the caller will interrupt early. ", context_id="c1", flush=True)
            with anyio.fail_after(5):
                first = json.loads(await ws.recv())
            await send(ws, context_id="c1", close_context=True)
            await send(ws, text="New reply. ", context_id="c2", flush=True)
            await send(ws, close_socket=True)
            messages = await receive_all(ws)
    late = [m for m in messages if m.get("contextId") == "c1" and "audio" in m]
    assert first["contextId"] == "c1"
    assert len(late) == 2
    assert {"isFinal": True, "contextId": "c1"} in messages
    assert len(audio_of(messages, "c2")) == len("New reply. ") * SAMPLES_PER_CHAR[16000] * 2


async def test_close_before_synthesis_sends_no_is_final() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake, socket(fake) as ws:
        await send(ws, text="Short text below the schedule. ", context_id="c1")
        await send(ws, context_id="c1", close_context=True)
        await send(ws, close_socket=True)
        messages = await receive_all(ws)
    assert messages == []


async def test_sixth_context_exceeds_the_limit() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake, socket(fake) as ws:
        for number in range(6):
            await send(ws, text=" ", context_id=f"c{number}")
        messages = await receive_all(ws)
        assert ws.close_code == 1008
    (error,) = messages
    assert error["error"] == "max_active_conversations"
    assert "exceeded (5)" in error["message"]


async def test_input_timeout_closes_1008() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake:
        fake.config.input_timeout = 0.3
        async with socket(fake) as ws:
            await send(ws, text=" ", context_id="c1")
            messages = await receive_all(ws)
            assert ws.close_code == 1008
    assert [m["error"] for m in messages] == ["input_timeout_exceeded"]


async def test_bad_key_closes_1008() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake:
        async with socket(fake, key="wrong") as ws:
            assert await receive_all(ws) == []
            assert ws.close_code == 1008
        async with socket(fake, kind="stream-input", key=None) as ws:
            await send(ws, text=" ", xi_api_key="wrong")
            assert await receive_all(ws) == []
            assert ws.close_code == 1008


async def test_single_stream_input_ends_with_is_final() -> None:
    async with (
        FakeElevenLabs(api_key=KEY) as fake,
        socket(fake, kind="stream-input", rate=24000, key=None) as ws,
    ):
        await send(ws, text=" ", xi_api_key=KEY, generation_config={"chunk_length_schedule": [50]})
        await send(ws, text="Hello world. ", try_trigger_generation=True)
        await send(ws, text="")
        messages = await receive_all(ws)
        assert ws.close_code == 1000
    assert messages[-1] == {"isFinal": True}
    assert all(m["isFinal"] is None and "contextId" not in m for m in messages[:-1])
    assert len(audio_of(messages)) == len("Hello world. ") * SAMPLES_PER_CHAR[24000] * 2


async def test_websocket_faults() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake:
        fake.faults.push(Reject(401))
        with pytest.raises(InvalidStatus) as rejected:
            async with socket(fake):
                pass
        assert rejected.value.response.status_code == 401

        fake.faults.push(DropAfter(1))
        async with socket(fake) as ws:
            await send(ws, text="Hello world. ", context_id="c1", flush=True)
            messages = await receive_all(ws)
            assert ws.close_code == 1006  # abnormal closure: no close frame
        assert [m["contextId"] for m in messages] == ["c1"]

        fake.faults.push(ErrorFrame(message="synthesis failed"))
        async with socket(fake) as ws:
            messages = await receive_all(ws)
            assert ws.close_code == 1011
        assert messages == [{"message": "synthesis failed", "error": "internal_server_error", "code": 1011}]
