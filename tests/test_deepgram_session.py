"""Whole turns (real time, asyncio) through a Pipeline whose speech-to-text is the Deepgram adapter talking to the
fake, with test doubles for the LLM and TTS: the final from the Finalize is the turn's transcript, a socket drop
mid-turn loses nothing, and with Flux its EndOfTurn decides the turn."""

from __future__ import annotations

import pytest

from pipeline.observe.events import (
    AgentStoppedSpeaking,
    EndOfUserTurn,
    ErrorEvent,
    Event,
    SessionEnded,
    UserTranscript,
)
from pipeline.session.pipeline import Pipeline
from pipeline.settings import SessionSettings, TurnSettings
from providers.deepgram.flux import DeepgramFlux, FluxOptions
from providers.deepgram.stt import DeepgramOptions, DeepgramStt
from providers.stt import SpeechToText
from tests.conversation import Call, of_type, run_call
from tests.doubles import FakeTts, ScriptedLlm
from tests.fakes.deepgram import FakeDeepgram
from tests.fakes.faults import DropAfter
from vad import EnergyVad

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.vendor_sdk,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # the SDK imports websockets.legacy
    pytest.mark.filterwarnings("error::ResourceWarning"),
]

KEY = "dg-session-secret-5b21"
SENTENCE = "Book a table for two."


def pipeline_with(stt: SpeechToText, endpointing_delay: float = 0.3) -> Pipeline:
    turn = TurnSettings(
        detector="silence", endpointing_delay=endpointing_delay, false_interruption_timeout=None
    )
    return Pipeline(
        stt=stt,
        llm=ScriptedLlm(["Sure."], ttft=0.05, token_interval=0.01),
        tts=FakeTts(ttfb=0.02, seconds_per_char=0.01),
        vad=EnergyVad(),
        settings=SessionSettings(turn=turn),
    )


async def one_turn(pipeline: Pipeline, speech: float = 0.8) -> list[Event]:
    async def script(call: Call) -> None:
        await call.caller.pause(0.3)
        await call.caller.speak(speech)
        await call.caller.pause_until(call.has(AgentStoppedSpeaking), limit=5.0)

    return (await run_call(pipeline, script, limit=10)).events


def nova(fake: FakeDeepgram) -> DeepgramStt:
    # Deepgram's own endpointing is off: the turn's final can only come from our Finalize.
    options = DeepgramOptions(api_key=KEY, ws_url=fake.url, endpointing_ms=None, reconnect_backoff=0.01)
    return DeepgramStt(options)


async def test_the_final_from_finalize_is_the_turns_transcript() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.transcripts.push(SENTENCE)
        events = await one_turn(pipeline_with(nova(fake)))

    (turn,) = of_type(events, EndOfUserTurn)
    assert (turn.transcript, turn.reason) == (SENTENCE, "silence")
    finals = [e.text for e in of_type(events, UserTranscript) if e.is_final]
    assert finals == [SENTENCE]
    assert of_type(events, ErrorEvent) == []
    assert of_type(events, SessionEnded)[-1].reason == "ended"
    (request,) = fake.requests
    assert request.messages_with(type="Finalize") == [{"type": "Finalize"}]
    assert request.query["endpointing"] == "false"


async def test_a_socket_drop_mid_turn_loses_nothing() -> None:
    async with FakeDeepgram(api_key=KEY, default_transcript=SENTENCE) as fake:
        # The first interim gets through; the socket dies as the answer to the Finalize is due, when the
        # caller has stopped talking: only the re-sent audio can bring the words back.
        fake.faults.push(DropAfter(1))
        events = await one_turn(pipeline_with(nova(fake)))

    (turn,) = of_type(events, EndOfUserTurn)
    assert turn.transcript == SENTENCE
    assert of_type(events, ErrorEvent) == [], "the adapter recovered by itself"
    assert len(fake.requests) == 2
    assert fake.requests[1].audio_bytes >= fake.requests[0].audio_bytes, "the whole turn was re-sent"
    assert fake.requests[1].messages_with(type="Finalize") == [{"type": "Finalize"}]
    interims = [e.text for e in of_type(events, UserTranscript) if not e.is_final]
    assert interims[0] == "Book", "the first socket's interim got through before the drop"


async def test_flux_end_of_turn_decides_the_turn() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.transcripts.push("Book a table for two")
        flux = DeepgramFlux(FluxOptions(api_key=KEY, ws_url=fake.url))
        # Our own silence rule would wait 1.5 s; Flux ends the turn after 0.5 s.
        events = await one_turn(pipeline_with(flux, endpointing_delay=1.5))

    (turn,) = of_type(events, EndOfUserTurn)
    assert (turn.transcript, turn.reason) == ("Book a table for two", "stt")
    assert turn.probability == pytest.approx(0.9)
    assert of_type(events, ErrorEvent) == []
    assert fake.requests[0].messages_with(type="ForceEndTurn") == []


async def test_a_wrong_key_ends_the_session_with_a_clear_error() -> None:
    async with FakeDeepgram(api_key="the-right-key") as fake:
        call = await run_call(
            pipeline_with(nova(fake)),
            lambda call: call.caller.pause_until(call.has(SessionEnded), limit=3.0),
            limit=5,
        )
        events = call.events

    (error,) = of_type(events, ErrorEvent)
    assert (error.source, error.code, error.recoverable) == ("deepgram", "auth_failed", False)
    assert "DEEPGRAM_API_KEY" in error.message
    (ended,) = of_type(events, SessionEnded)
    assert ended.reason == "error"
    assert all(KEY not in event.model_dump_json() for event in events)
    assert len(fake.requests) == 1, "a rejected key is not retried"
