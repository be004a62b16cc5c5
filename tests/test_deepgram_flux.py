"""The Deepgram Flux (/v2/listen) adapter with the real deepgram-sdk against the loopback fake."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from providers.deepgram.flux import DeepgramFlux, FluxOptions
from providers.errors import ErrorCode, ProviderError
from providers.registry import registry
from providers.stt import Transcript, TurnSignal
from tests.adapters import Feed, is_final, read_until
from tests.fakes.audio import silence, tone_seconds
from tests.fakes.deepgram import FakeDeepgram
from tests.fakes.faults import DropAfter

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.vendor_sdk,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # the SDK imports websockets.legacy
    pytest.mark.filterwarnings("error::ResourceWarning"),
    pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning"),
]

KEY = "dg-flux-secret-77e0"
RATE = 16000
SENTENCE = "Book a table for two"


def flux_for(fake: FakeDeepgram, **options: Any) -> DeepgramFlux:
    options.setdefault("reconnect_backoff", 0.01)
    return DeepgramFlux(FluxOptions(api_key=KEY, ws_url=fake.url, **options))


def started(transcript: Transcript) -> bool:
    return transcript.turn_signal is TurnSignal.START_OF_TURN


async def test_registry_knows_flux() -> None:
    spec = registry.get("stt", "deepgram-flux")
    options = spec.options.model_validate(
        {"eot_threshold": 0.8}, context={"environ": {"DEEPGRAM_API_KEY": KEY}}
    )
    assert spec.build(options).provider == "deepgram-flux"
    with pytest.raises(ValueError):
        spec.options.model_validate({"api_key": KEY, "eot_threshold": 0.2})


async def test_turn_events_become_transcripts_with_signals() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.transcripts.push(SENTENCE)
        options = {"eot_threshold": 0.7, "eager_eot_threshold": 0.5, "eot_timeout_ms": 3000}
        async with flux_for(fake, **options).stream(sample_rate=RATE) as stream:
            feed = Feed(stream)
            await feed.send(silence(RATE, 0.3) + tone_seconds(RATE, 1.0) + silence(RATE, 0.3))
            await feed.send(tone_seconds(RATE, 0.3) + silence(RATE, 0.8))
            seen = await read_until(stream, is_final)

    assert [(t.text, t.is_final, t.turn_signal, t.end_of_turn_probability) for t in seen] == [
        ("Book", False, TurnSignal.START_OF_TURN, 0.05),
        ("Book", False, None, 0.05),
        (SENTENCE, False, TurnSignal.EAGER_END_OF_TURN, 0.5),
        ("Book a table for", False, TurnSignal.TURN_RESUMED, 0.05),
        ("Book a table for", False, None, 0.05),
        (SENTENCE, False, TurnSignal.EAGER_END_OF_TURN, 0.5),
        (SENTENCE, True, TurnSignal.END_OF_TURN, 0.9),
    ]
    assert not seen[-1].from_finalize, "no finalize() was asked for"
    (request,) = fake.requests
    assert request.path == "/v2/listen"
    assert request.query == {
        "model": "flux-general-en",
        "encoding": "linear16",
        "sample_rate": "16000",
        "eot_threshold": "0.7",
        "eager_eot_threshold": "0.5",
        "eot_timeout_ms": "3000",
    }


async def test_finalize_is_answered_by_fluxs_own_end_of_turn() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.transcripts.push(SENTENCE)
        async with flux_for(fake).stream(sample_rate=RATE) as stream:
            feed = Feed(stream)
            await feed.send(silence(RATE, 0.2) + tone_seconds(RATE, 1.0) + silence(RATE, 0.2))
            await stream.finalize()  # before Flux has even reported the turn: it catches up
            await feed.send(silence(RATE, 0.5))  # Flux ends the turn after 0.5 s of silence
            seen = await read_until(stream, is_final)

    final = seen[-1]
    assert (final.text, final.turn_signal, final.from_finalize) == (SENTENCE, TurnSignal.END_OF_TURN, True)
    assert fake.requests[0].messages_with(type="ForceEndTurn") == [], "Flux was not cut short"


async def test_finalize_forces_the_end_of_turn_when_flux_waits_too_long() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.config.flux_eot_silence = 10.0
        fake.transcripts.push(SENTENCE)
        async with flux_for(fake, force_end_turn_after=0.05).stream(sample_rate=RATE) as stream:
            await Feed(stream).send(silence(RATE, 0.2) + tone_seconds(RATE, 1.0) + silence(RATE, 0.2))
            await read_until(stream, started)  # in real time Flux reports the turn while it is spoken
            await stream.finalize()
            seen = await read_until(stream, is_final)

    final = seen[-1]
    assert (final.text, final.turn_signal, final.from_finalize) == (SENTENCE, TurnSignal.END_OF_TURN, True)
    assert fake.requests[0].messages_with(type="ForceEndTurn") == [{"type": "ForceEndTurn"}]


async def test_finalize_right_after_fluxs_end_of_turn_is_answered_at_once() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.transcripts.push("Yes")
        async with flux_for(fake, force_end_turn_after=5.0).stream(sample_rate=RATE) as stream:
            await Feed(stream).send(silence(RATE, 0.2) + tone_seconds(RATE, 0.4) + silence(RATE, 0.6))
            (*_, ended) = await read_until(stream, is_final)  # Flux was quicker than our VAD
            await stream.finalize()
            started_at = anyio.current_time()
            (answer,) = await read_until(stream, is_final)
            waited = anyio.current_time() - started_at
    assert (ended.text, ended.from_finalize) == ("Yes", False)
    assert (answer.text, answer.from_finalize) == ("", True)
    assert waited < 2.5  # not after the 5 s wait for Flux (a bound that holds on a loaded machine)
    assert fake.requests[0].messages_with(type="ForceEndTurn") == []


async def test_finalize_with_no_turn_heard_gets_an_empty_answer_after_the_wait() -> None:
    async with (
        FakeDeepgram(api_key=KEY) as fake,
        flux_for(fake, force_end_turn_after=0.1).stream(sample_rate=RATE) as stream,
    ):
        await Feed(stream).send(silence(RATE, 0.3))
        await stream.finalize()
        started_at = anyio.current_time()
        (answer,) = await read_until(stream, is_final)
        waited = anyio.current_time() - started_at
    assert (answer.text, answer.from_finalize) == ("", True)
    assert waited >= 0.1, "Flux was given time to catch up with the audio"
    assert fake.requests[0].messages_with(type="ForceEndTurn") == [], "no turn to force closed"


async def test_drop_mid_turn_reconnects_and_the_turn_is_complete() -> None:
    async with FakeDeepgram(api_key=KEY, default_transcript=SENTENCE) as fake:
        fake.faults.push(DropAfter(2))  # Connected, StartOfTurn, then the socket dies
        async with flux_for(fake).stream(sample_rate=RATE) as stream:
            feed = Feed(stream)
            await feed.send(silence(RATE, 0.2) + tone_seconds(RATE, 0.3))
            first = await read_until(stream, lambda t: True)
            await feed.send(tone_seconds(RATE, 0.7) + silence(RATE, 0.7))
            seen = await read_until(stream, is_final)

    assert first[0].turn_signal is TurnSignal.START_OF_TURN
    assert (seen[-1].text, seen[-1].turn_signal) == (SENTENCE, TurnSignal.END_OF_TURN)
    assert len(fake.requests) == 2
    assert fake.requests[1].audio_bytes == round(feed.time * RATE) * 2


async def test_silence_keeps_the_flux_socket_open() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.config.idle_timeout = 0.15
        async with flux_for(fake, keepalive_interval=0.05).stream(sample_rate=RATE):
            await anyio.sleep(0.3)
    assert len(fake.requests) == 1
    assert fake.requests[0].audio_bytes > 0, "Flux has no KeepAlive: silence was sent"


async def test_wrong_key() -> None:
    async with FakeDeepgram(api_key="other") as fake:
        with pytest.raises(ProviderError) as info:
            async with flux_for(fake).stream(sample_rate=RATE):
                pass
    assert (info.value.code, info.value.recoverable) == (ErrorCode.AUTH_FAILED, False)
    assert "DEEPGRAM_API_KEY" in info.value.message and KEY not in str(info.value)
