"""Whole sessions (real time, asyncio) with the ElevenLabs websocket TTS against the fake, test doubles for STT
and LLM: on barge-in the context keeps exactly what the caller heard according to the alignment; a dropped socket
fails one reply and the next works; a bad key ends the session with a clear, key-free error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import aclosing

import pytest

from pipeline.observe.events import AgentStartedSpeaking, AgentStoppedSpeaking, ErrorEvent, SessionEnded
from pipeline.session.pipeline import Pipeline
from pipeline.settings import SessionSettings, TurnSettings
from providers.elevenlabs.options import ElevenLabsWebsocketOptions
from providers.elevenlabs.websocket_tts import ElevenLabsTts
from providers.llm import Role
from tests.conversation import Call, expected_heard, of_type, run_call
from tests.doubles import ScriptedLlm, ScriptedStt
from tests.fakes.elevenlabs import FakeElevenLabs
from tests.fakes.faults import DropAfter
from vad import EnergyVad

pytestmark = [pytest.mark.anyio, pytest.mark.vendor_sdk, pytest.mark.filterwarnings("error::ResourceWarning")]

KEY = "xi-session-test-key-0123456789"
MS_PER_CHAR = 30
LONG_REPLY = "This is a long answer. It goes on for quite a while. Nobody wants to hear all of it."


def elevenlabs(fake: FakeElevenLabs, key: str = KEY) -> aclosing[ElevenLabsTts]:
    return aclosing(
        ElevenLabsTts(ElevenLabsWebsocketOptions(api_key=key, base_url=fake.base_url, ws_url=fake.ws_url))
    )


def pipeline_with(tts: ElevenLabsTts, llm: ScriptedLlm, utterances: list[str]) -> Pipeline:
    turn = TurnSettings(
        detector="silence",
        endpointing_delay=0.3,
        min_interruption_duration=0.3,
        false_interruption_timeout=None,
    )
    return Pipeline(
        stt=ScriptedStt(utterances, final_delay=0.05),
        llm=llm,
        tts=tts,
        vad=EnergyVad(),
        settings=SessionSettings(turn=turn),
    )


async def keyless_call(pipeline: Pipeline, script: Callable[[Call], Awaitable[None]]) -> Call:
    """`run_call` within 15 s; no event may carry the key."""
    call = await run_call(pipeline, script, limit=15)
    for event in call.events:
        assert KEY not in event.model_dump_json()
    return call


async def test_barge_in_keeps_exactly_the_words_the_alignment_says_were_played() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake, elevenlabs(fake) as tts:
        fake.config.ms_per_char = MS_PER_CHAR
        fake.config.chunks_after_close = 2
        llm = ScriptedLlm([LONG_REPLY, "Sure, go ahead."], ttft=0.05, token_interval=0.01)
        pipeline = pipeline_with(tts, llm, ["tell me something", "stop please"])

        async def script(call: Call) -> None:
            await call.caller.pause(0.3)
            await call.caller.speak(0.6)
            await call.caller.pause_until(call.has(AgentStartedSpeaking))
            await call.caller.pause(0.7)
            await call.caller.speak(0.8)  # barge in
            await call.caller.pause_until(call.has(AgentStoppedSpeaking, 2))
            await call.caller.pause(0.2)

        call = await keyless_call(pipeline, script)
        events, session = call.events, call.session
        stats = tts.stats()

    first, second = of_type(events, AgentStoppedSpeaking)
    sentences = [m["text"].strip() for m in fake.requests[0].messages if m.get("text", " ") != " "]
    assert first.interrupted and 0.5 < first.played_seconds < 2.0
    # By the fake's timing: each sentence spoken as sent (with its trailing space), one after the other.
    expected = expected_heard([s + " " for s in sentences], first.played_seconds, MS_PER_CHAR / 1000)
    assert expected and first.heard_text == expected and LONG_REPLY.startswith(expected)
    assert not second.interrupted and second.heard_text == "Sure, go ahead."
    assistant = [m for m in session.context.messages if m.role is Role.ASSISTANT]
    assert assistant[0].content == expected and assistant[0].interrupted
    first_context = fake.requests[0].messages[0]["context_id"]
    assert fake.requests[0].messages_with(context_id=first_context, close_context=True)
    assert stats.opened == 1  # both replies on one socket


async def test_a_dropped_socket_fails_one_reply_and_the_next_turn_works() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake, elevenlabs(fake) as tts:
        fake.config.ms_per_char = MS_PER_CHAR
        fake.faults.push(DropAfter(2))  # the first socket dies after two audio messages
        llm = ScriptedLlm(["This reply is cut off by the network.", "Second try works."], ttft=0.05)
        pipeline = pipeline_with(tts, llm, ["first", "second"])

        async def script(call: Call) -> None:
            for turn in (1, 2):
                await call.caller.pause(0.3)
                await call.caller.speak(0.6)
                await call.caller.pause_until(call.has(AgentStoppedSpeaking, turn))
            await call.caller.pause(0.2)

        events = (await keyless_call(pipeline, script)).events
        session_context = [m for m in events if isinstance(m, AgentStoppedSpeaking)]

    (error,) = of_type(events, ErrorEvent)
    assert (error.source, error.code, error.recoverable) == ("elevenlabs", "connection_lost", True)
    assert session_context[-1].text == "Second try works." and not session_context[-1].interrupted
    assert of_type(events, SessionEnded)[0].reason == "ended"
    assert len(fake.requests) == 2


async def test_a_bad_key_ends_the_session_with_the_reason() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake, elevenlabs(fake, key="xi-not-the-right-key-000") as tts:
        pipeline = pipeline_with(tts, ScriptedLlm(["Hello."], ttft=0.05), ["hi"])

        async def script(call: Call) -> None:
            await call.caller.pause(0.3)
            await call.caller.speak(0.6)
            await call.caller.pause_until(call.has(SessionEnded), limit=5)

        events = (await keyless_call(pipeline, script)).events

    (error,) = of_type(events, ErrorEvent)
    assert (error.code, error.recoverable) == ("auth_failed", False)
    assert "ELEVENLABS_API_KEY" in error.message and "xi-not-the-right-key-000" not in error.message
    ended = of_type(events, SessionEnded)[0]
    assert ended.reason == "error"
