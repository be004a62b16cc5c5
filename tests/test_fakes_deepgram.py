"""The real deepgram-sdk async client against the loopback Deepgram fake."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from deepgram import AsyncDeepgramClient
from deepgram.core.api_error import ApiError
from deepgram.core.events import EventType
from deepgram.listen.v1.types import ListenV1Error, ListenV1Metadata, ListenV1Results, ListenV1UtteranceEnd
from deepgram.listen.v2.types import ListenV2Connected, ListenV2TurnInfo
from websockets.exceptions import ConnectionClosedError

from tests.fakes.audio import silence, tone_seconds, utterance
from tests.fakes.deepgram import FakeDeepgram
from tests.fakes.faults import DropAfter, ErrorFrame, Malformed, MalformedKind, Reject, SlowFirstByte

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.vendor_sdk,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

KEY = "dg-test-key"
RATE = 16000
LISTEN_OPTIONS: dict[str, Any] = {
    "model": "nova-3",
    "encoding": "linear16",
    "sample_rate": RATE,
    "channels": 1,
    "interim_results": True,
    "endpointing": 300,
    "utterance_end_ms": 1000,
    "vad_events": True,
    "smart_format": True,
    "punctuate": True,
}


def client_for(fake: FakeDeepgram, key: str = KEY) -> AsyncDeepgramClient:
    return AsyncDeepgramClient(api_key=key, environment=fake.environment)


async def send_in_frames(conn: Any, audio: bytes, frame_bytes: int = 3200) -> None:
    for start in range(0, len(audio), frame_bytes):
        await conn.send_media(audio[start : start + frame_bytes])


async def collect(conn: Any) -> list[Any]:
    with anyio.fail_after(5):
        return [message async for message in conn]


async def test_listen_utterance_gives_interims_final_utterance_end_and_metadata() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.transcripts.push("Hello there, friend.")
        async with client_for(fake).listen.v1.connect(**LISTEN_OPTIONS) as conn:
            await send_in_frames(conn, utterance(0.5, 1.0, 1.5))
            await conn.send_close_stream()
            messages = await collect(conn)

        kinds = [message.type for message in messages]
        assert kinds[0] == "SpeechStarted"
        assert messages[0].timestamp == 0.5
        assert kinds[-3:] == ["Results", "UtteranceEnd", "Metadata"]
        interims = [m for m in messages if isinstance(m, ListenV1Results) and not m.is_final]
        assert interims, "interim results expected with interim_results=true"
        assert all("Hello there, friend.".startswith(m.channel.alternatives[0].transcript) for m in interims)

        final = messages[-3]
        assert (final.is_final, final.speech_final, final.from_finalize) == (True, True, False)
        alternative = final.channel.alternatives[0]
        assert alternative.transcript == "Hello there, friend."
        assert [w.word for w in alternative.words] == ["hello", "there", "friend"]
        assert [w.punctuated_word for w in alternative.words] == ["Hello", "there,", "friend."]
        assert alternative.words[0].start == 0.5
        assert alternative.words[-1].end == 1.5
        utterance_end = messages[-2]
        assert isinstance(utterance_end, ListenV1UtteranceEnd)
        assert utterance_end.last_word_end == 1.5
        metadata = messages[-1]
        assert isinstance(metadata, ListenV1Metadata)
        assert metadata.duration == 3.0
        assert metadata.channels == 1

        (request,) = fake.requests
        assert request.path == "/v1/listen"
        assert request.headers["authorization"] == f"Token {KEY}"
        assert request.query["model"] == "nova-3"
        assert request.query["interim_results"] == "true"
        assert request.query["utterance_end_ms"] == "1000"
        assert request.audio_bytes == 3 * RATE * 2
        assert request.messages_with(type="CloseStream") == [{"type": "CloseStream"}]


async def test_finalize_flushes_each_utterance_and_keeps_the_socket_open() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.transcripts.push("First one.", "Second one.")
        options = LISTEN_OPTIONS | {"interim_results": False, "endpointing": 2000}
        async with client_for(fake).listen.v1.connect(**options) as conn:
            finals: list[ListenV1Results] = []
            for _ in range(2):
                await send_in_frames(conn, utterance(0.2, 0.6, 0.1))
                await conn.send_finalize()
                with anyio.fail_after(5):
                    while not isinstance(message := await conn.recv(), ListenV1Results):
                        pass
                finals.append(message)
            await conn.send_close_stream()
            rest = await collect(conn)

        assert [f.channel.alternatives[0].transcript for f in finals] == ["First one.", "Second one."]
        assert all(f.is_final and f.from_finalize and not f.speech_final for f in finals)
        assert finals[1].start == pytest.approx(0.9)
        assert [m.type for m in rest] == ["Metadata"]
        assert len(fake.requests[0].messages_with(type="Finalize")) == 2


async def test_finalize_without_speech_answers_an_empty_final() -> None:
    async with (
        FakeDeepgram(api_key=KEY) as fake,
        client_for(fake).listen.v1.connect(**LISTEN_OPTIONS) as conn,
    ):
        await send_in_frames(conn, silence(RATE, 0.5))
        await conn.send_finalize()
        with anyio.fail_after(5):
            message = await conn.recv()
    assert isinstance(message, ListenV1Results)
    assert message.from_finalize and message.is_final
    assert message.channel.alternatives[0].transcript == ""


async def test_final_delay_holds_back_the_final_after_finalize() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.config.final_delay = 0.25
        options = LISTEN_OPTIONS | {"interim_results": False, "vad_events": False}
        async with client_for(fake).listen.v1.connect(**options) as conn:
            await send_in_frames(conn, utterance(0.1, 0.5, 0.05))
            started = anyio.current_time()
            await conn.send_finalize()
            with anyio.fail_after(5):
                message = await conn.recv()
            elapsed = anyio.current_time() - started
    assert isinstance(message, ListenV1Results) and message.is_final
    assert elapsed >= 0.25


async def test_idle_socket_is_closed_with_1011_net0001() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.config.idle_timeout = 0.3
        async with client_for(fake).listen.v1.connect(**LISTEN_OPTIONS) as conn:
            errors: list[Exception] = []
            conn.on(EventType.ERROR, errors.append)
            with anyio.fail_after(5):
                await conn.start_listening()
    (error,) = errors
    assert isinstance(error, ConnectionClosedError)
    assert error.rcvd is not None and error.rcvd.code == 1011
    assert "net0001" in error.rcvd.reason


async def test_keepalive_prevents_the_idle_close() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.config.idle_timeout = 0.3
        async with client_for(fake).listen.v1.connect(**LISTEN_OPTIONS) as conn:
            for _ in range(5):  # 0.5 s in all, longer than the idle timeout
                await conn.send_keep_alive()
                await anyio.sleep(0.1)
            await conn.send_close_stream()
            messages = await collect(conn)
    assert [m.type for m in messages] == ["Metadata"]
    assert len(fake.requests[0].messages_with(type="KeepAlive")) == 5


@pytest.mark.parametrize(("fault", "status"), [(Reject(401), 401), (Reject(429), 429), (Reject(500), 500)])
async def test_rejected_handshake_raises_api_error(fault: Reject, status: int) -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.faults.push(fault)
        with pytest.raises(ApiError) as info:
            async with client_for(fake).listen.v1.connect(**LISTEN_OPTIONS):
                pass
    assert info.value.status_code == status


async def test_wrong_key_raises_401() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        with pytest.raises(ApiError) as info:
            async with client_for(fake, key="wrong").listen.v1.connect(**LISTEN_OPTIONS):
                pass
    assert info.value.status_code == 401


async def test_dropped_connection_reports_error_then_close() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.faults.push(DropAfter(1))
        async with client_for(fake).listen.v1.connect(**LISTEN_OPTIONS) as conn:
            events: list[str] = []
            conn.on(EventType.MESSAGE, lambda m: events.append(f"message:{m.type}"))
            conn.on(EventType.ERROR, lambda e: events.append(f"error:{type(e).__name__}"))
            conn.on(EventType.CLOSE, lambda _: events.append("close"))
            await send_in_frames(conn, utterance(0.2, 0.5, 0.1))
            await conn.send_finalize()  # its final would be the second message
            with anyio.fail_after(5):
                await conn.start_listening()
    assert events == ["message:SpeechStarted", "error:ConnectionClosedError", "close"]


async def test_error_frame_arrives_as_listen_error_then_1011() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.faults.push(ErrorFrame(message="boom"))
        async with client_for(fake).listen.v1.connect(**LISTEN_OPTIONS) as conn:
            with anyio.fail_after(5):
                message = await conn.recv()
                with pytest.raises(ConnectionClosedError) as info:
                    await conn.recv()
    assert isinstance(message, ListenV1Error)
    assert message.description == "boom"
    assert info.value.rcvd is not None and info.value.rcvd.code == 1011


async def test_malformed_frames() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.faults.push(Malformed(MalformedKind.UNKNOWN_TYPE))
        fake.faults.push(Malformed(MalformedKind.INVALID_JSON))
        client = client_for(fake)
        async with client.listen.v1.connect(**LISTEN_OPTIONS) as conn:
            with anyio.fail_after(5):
                unknown = await conn.recv()
        async with client.listen.v1.connect(**LISTEN_OPTIONS) as conn:
            with anyio.fail_after(5), pytest.raises(json.JSONDecodeError):
                await conn.recv()
    assert unknown is None


async def test_slow_first_byte_delays_the_handshake() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.faults.push(SlowFirstByte(0.3))
        started = anyio.current_time()
        async with client_for(fake).listen.v1.connect(**LISTEN_OPTIONS):
            elapsed = anyio.current_time() - started
    assert elapsed >= 0.3


async def test_flux_turn_with_eager_end_and_resume() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.transcripts.push("Book a table for two")
        audio = utterance(0.3, 1.0, 0.3) + tone_seconds(RATE, 0.3) + silence(RATE, 0.8)
        async with client_for(fake).listen.v2.connect(
            model="flux-general-en",
            encoding="linear16",
            sample_rate=RATE,
            eot_threshold=0.7,
            eager_eot_threshold=0.5,
        ) as conn:
            await send_in_frames(conn, audio)
            await conn.send_close_stream()
            with anyio.fail_after(5):
                messages = [m async for m in conn]

    assert isinstance(messages[0], ListenV2Connected)
    turns = [m for m in messages if isinstance(m, ListenV2TurnInfo)]
    events = [t.event for t in turns if t.event != "Update"]
    assert events == ["StartOfTurn", "EagerEndOfTurn", "TurnResumed", "EagerEndOfTurn", "EndOfTurn"]
    end = turns[-1]
    assert end.transcript == "Book a table for two"
    assert end.end_of_turn_confidence >= 0.7
    assert end.turn_index == 0
    assert [t.sequence_id for t in turns] == list(range(1, len(turns) + 1))
    assert fake.requests[0].path == "/v2/listen"
    assert fake.requests[0].query["eager_eot_threshold"] == "0.5"


async def test_flux_force_end_turn() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.transcripts.push("Stop right there")
        async with client_for(fake).listen.v2.connect(
            model="flux-general-en", encoding="linear16", sample_rate=RATE
        ) as conn:
            await send_in_frames(conn, silence(RATE, 0.2) + tone_seconds(RATE, 1.0))
            await conn.send_force_end_turn()
            with anyio.fail_after(5):
                while not (
                    isinstance(message := await conn.recv(), ListenV2TurnInfo)
                    and message.event == "EndOfTurn"
                ):
                    pass
    assert message.transcript == "Stop right there"
    assert fake.requests[0].messages_with(type="ForceEndTurn") == [{"type": "ForceEndTurn"}]
