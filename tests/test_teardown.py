"""Hardening: a session's state is true whatever cancels it, and teardown is bounded in time whatever an event
handler does (issue 18, items 3 and 4)."""

from __future__ import annotations

import logging

import anyio
import pytest

from pipeline import SessionState
from pipeline.base.audio import AudioFrame
from pipeline.base.compute import inline_compute
from pipeline.observe.events import AgentStartedSpeaking, Event, SessionEnded
from pipeline.settings import EventSettings, SessionSettings
from tests.conversation import Caller, make_pipeline
from tests.doubles import RATE, FakeTts, ScriptedLlm, ScriptedStt, silence

pytestmark = pytest.mark.anyio

LONG = "Here is a long answer. It has several sentences. You will not want to hear all of them. The end."


@pytest.mark.timeout(60, method="thread")
async def test_a_session_cancelled_mid_reply_is_ended() -> None:
    pipeline = make_pipeline(ScriptedStt(["tell me"]), ScriptedLlm([LONG]), FakeTts())
    session = pipeline.session()
    events: list[Event] = []
    subscription = session.events()
    with inline_compute():
        async with anyio.create_task_group() as outer:

            async def collect() -> None:
                async for event in subscription:
                    events.append(event)

            outer.start_soon(collect)
            with anyio.CancelScope() as holder:
                async with session:
                    caller = Caller(session)
                    await caller.speak(0.5)
                    await caller.pause_until(lambda: any(isinstance(e, AgentStartedSpeaking) for e in events))
                    holder.cancel()  # whatever cancels the task that holds `async with session`
                    await anyio.sleep(1)
    assert session.state is SessionState.ENDED
    assert session.push_audio(AudioFrame.from_int16(silence(0.02), RATE)) is False
    with anyio.fail_after(1):
        await session.end()
    assert [e.reason for e in events if isinstance(e, SessionEnded)] == ["cancelled"]


@pytest.mark.timeout(60, method="thread")
async def test_a_stuck_event_handler_does_not_block_teardown(caplog: pytest.LogCaptureFixture) -> None:
    pipeline = make_pipeline(ScriptedStt(["tell me"]), ScriptedLlm([LONG]), FakeTts())  # default deadline
    session = pipeline.session()
    handled: list[str] = []

    @session.on
    async def stuck(event: Event) -> None:
        handled.append(event.type)
        await anyio.sleep_forever()

    caplog.set_level(logging.WARNING)
    with inline_compute(), anyio.fail_after(30):  # virtual time; without the deadline: never
        async with session:
            await session.end()
    assert handled == ["session_started"]
    assert "stuck" in caplog.text and "cancelled" in caplog.text


@pytest.mark.timeout(60, method="thread")
async def test_a_slow_handler_has_until_the_deadline() -> None:
    settings = SessionSettings(events=EventSettings(handler_drain_timeout=2.0))
    pipeline = make_pipeline(ScriptedStt([]), ScriptedLlm([]), FakeTts(), settings=settings)
    session = pipeline.session()
    handled: list[str] = []

    @session.on
    async def slow(event: Event) -> None:
        await anyio.sleep(0.5)
        handled.append(event.type)

    with inline_compute():
        async with session:
            await anyio.sleep(0.1)
            await session.end()
        ended_at = anyio.current_time()
    assert "session_started" in handled  # a slow handler still finishes what it can
    assert ended_at < 10


@pytest.mark.parametrize("rate", [1, 4000, 400_000])
async def test_push_audio_refuses_a_nonsense_sample_rate(rate: int) -> None:
    """Three frames labelled 1 Hz made a session deaf for 11.5 s (issue 18, item 12): now they are refused."""
    import numpy as np

    pipeline = make_pipeline(ScriptedStt([]), ScriptedLlm([]), FakeTts())
    with inline_compute():
        async with pipeline.session() as session:
            with pytest.raises(ValueError, match="Hz"):
                session.push_audio(AudioFrame.from_int16(np.zeros(320, dtype=np.int16), rate))
            assert session.push_audio(AudioFrame.from_int16(silence(0.02), RATE))
            await session.end()


@pytest.mark.parametrize("read_audio", [True, False], ids=["heard", "nobody-reading"])
@pytest.mark.timeout(60, method="thread")
async def test_ending_mid_speech_stops_the_agent_at_once(read_audio: bool) -> None:
    """Ended mid-speech: agent_stopped_speaking pairs the agent_started_speaking, and with nobody reading the
    agent's audio ``end()`` does not wait the whole drain (30 s) for it."""
    from pipeline.observe.events import AgentStoppedSpeaking

    settings = SessionSettings(drain_timeout=0.5)
    pipeline = make_pipeline(ScriptedStt(["tell me"]), ScriptedLlm([LONG]), FakeTts(), settings=settings)
    session = pipeline.session()
    events: list[Event] = []
    subscription = session.events()
    with inline_compute():
        async with anyio.create_task_group() as outer:

            async def collect() -> None:
                async for event in subscription:
                    events.append(event)

            async def listen() -> None:
                async for _ in session.audio_out():
                    pass

            outer.start_soon(collect)
            async with session:
                if read_audio:
                    outer.start_soon(listen)
                caller = Caller(session)
                await caller.speak(0.5)
                await caller.pause_until(lambda: any(isinstance(e, AgentStartedSpeaking) for e in events))
                asked = anyio.current_time()
                await session.end()
                took = anyio.current_time() - asked
    stopped = [e for e in events if isinstance(e, AgentStoppedSpeaking)]
    assert len(stopped) == 1 and stopped[0].interrupted
    assert took <= (0.5 if read_audio else 0.0) + 0.1
