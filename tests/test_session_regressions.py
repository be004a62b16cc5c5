"""Bugs found when the project was tried as a new user would, each pinned by a test that fails without its fix;
and the session's live settings (one home, every state)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.lowlevel
import pytest

from pipeline import Pipeline, SessionClosedError, SessionState
from pipeline.base.audio import AudioFrame
from pipeline.base.channel import Channel
from pipeline.base.compute import inline_compute
from pipeline.base.transcripts import Transcript
from pipeline.observe.events import (
    AgentStoppedSpeaking,
    EndOfUserTurn,
    Interruption,
    UserStartedSpeaking,
)
from pipeline.settings import AudioSettings, SessionSettings, TurnSettings
from providers.llm import Role
from tests.conversation import Call, converse, make_pipeline, of_type
from tests.doubles import RATE, FakeTts, ScriptedLlm, ScriptedStt, silence, tone
from vad import BatchedSileroEngine, VadConfig, VadParams

pytestmark = pytest.mark.anyio

QUICK_VAD = VadParams(min_silence_duration=0.1)
LONG = "Here is a long answer. It has several sentences. You will not want to hear all of them. The end."


# --- interrupt() then end() ----------------------------------------------------------------------------------


@pytest.mark.timeout(60, method="thread")  # the bug spun for ever: a busy-wait never lets virtual time move
async def test_end_right_after_interrupt_returns() -> None:
    pipeline = make_pipeline(ScriptedStt(["tell me"]), ScriptedLlm([LONG]), FakeTts(), vad_params=QUICK_VAD)

    async def script(done: Call) -> None:
        await done.caller.speak(0.5)
        await done.caller.pause_until(lambda: done.session.agent_state.value == "speaking")
        assert done.session.interrupt()
        with anyio.fail_after(1.0):  # virtual time: the session ends at once, nothing is left to drain
            await done.session.end()

    done = await converse(pipeline, script)
    assert done.session.state is SessionState.ENDED
    (stopped,) = of_type(done.events, AgentStoppedSpeaking)
    assert stopped.interrupted


# --- a final transcript answered inside finalize() ------------------------------------------------------------


class PromptStream:
    """An STT stream that queues its final *inside* ``finalize`` and then yields once (as an adapter that
    answers from a local buffer does)."""

    def __init__(self) -> None:
        self.results: Channel[Transcript] = Channel("results", 16)
        self.loud = False

    async def push_audio(self, frame: AudioFrame) -> None:
        self.loud = self.loud or bool(abs(frame.to_int16()).max() > 1000)

    async def finalize(self) -> None:
        self.results.send_nowait(Transcript("book a table" if self.loud else "", True, from_finalize=True))
        self.loud = False
        await anyio.lowlevel.checkpoint()

    def transcripts(self) -> AsyncIterator[Transcript]:
        return self.results.__aiter__()


class PromptStt:
    provider = "prompt"
    model = "test"

    @asynccontextmanager
    async def stream(self, *, sample_rate: int) -> AsyncIterator[PromptStream]:
        stream = PromptStream()
        yield stream
        stream.results.close()


async def test_a_final_answered_inside_finalize_ends_the_turn_without_the_stt_timeout() -> None:
    pipeline = make_pipeline(PromptStt(), ScriptedLlm(["Done."]), FakeTts(), vad_params=QUICK_VAD)  # type: ignore[arg-type]

    async def script(done: Call) -> None:
        await done.caller.speak(0.6)
        await done.caller.pause_until(done.has(AgentStoppedSpeaking))

    done = await converse(pipeline, script)
    (turn,) = of_type(done.events, EndOfUserTurn)
    assert turn.transcript == "book a table"
    assert turn.reason == "silence"  # the bug: "stt_timeout", 2 s later


# --- barge-in on the window that starts speech ----------------------------------------------------------------


async def test_barge_in_is_decided_on_the_window_that_starts_speech() -> None:
    # the minimum interruption is no longer than the VAD's minimum speech: the start window is enough
    vad = VadParams(min_speech_duration=0.1, min_silence_duration=0.1)
    pipeline = make_pipeline(
        ScriptedStt(["tell me a story", "stop"]),
        ScriptedLlm([LONG]),
        FakeTts(),
        vad_params=vad,
        min_interruption_duration=0.05,
    )

    async def script(done: Call) -> None:
        await done.caller.speak(0.5)
        await done.caller.pause_until(lambda: done.session.agent_state.value == "speaking")
        await done.caller.pause(0.5)
        await done.caller.speak(0.6)
        await done.caller.pause(1.0)

    done = await converse(pipeline, script)
    starts = of_type(done.events, UserStartedSpeaking)
    (interruption,) = of_type(done.events, Interruption)
    assert interruption.timestamp == pytest.approx(starts[1].timestamp)  # same window, not the next one


# --- media time stays true when caller frames are dropped -----------------------------------------------------


async def test_media_time_stays_true_after_dropped_frames() -> None:
    settings = SessionSettings(audio=AudioSettings(input_buffer_ms=40))  # two frames
    pipeline = make_pipeline(
        ScriptedStt(["hello"]), ScriptedLlm(["Hi."]), FakeTts(), settings=settings, vad_params=QUICK_VAD
    )
    frame = round(0.02 * RATE)

    async def script(done: Call) -> None:
        quiet = silence(1.0)
        # one second of caller audio arrives at once: the input buffer keeps the last two frames only
        for start in range(0, len(quiet), frame):
            done.session.push_audio(AudioFrame.from_int16(quiet[start : start + frame], RATE, start / RATE))
        await anyio.sleep(1.0)
        speech = tone(0.5)
        for start in range(0, len(speech), frame):
            done.session.push_audio(
                AudioFrame.from_int16(speech[start : start + frame], RATE, 1.0 + start / RATE)
            )
            await anyio.sleep(0.02)
        await done.caller.pause(1.0)

    done = await converse(pipeline, script)
    (start,) = of_type(done.events, UserStartedSpeaking)
    assert start.media_time == pytest.approx(
        1.0, abs=0.03
    )  # the bug: ~0.06 s (counted from the samples kept)


# --- live settings: one home, every state ---------------------------------------------------------------------


async def test_update_writes_the_settings_once_and_every_part_applies_it() -> None:
    llm = ScriptedLlm(["First.", "Second."])
    pipeline = make_pipeline(ScriptedStt(["one", "two"]), llm, FakeTts(), vad_params=QUICK_VAD)

    async def script(done: Call) -> None:
        done.session.update(temperature=0.3, instructions="Be brief.")
        assert done.session.settings.agent.temperature == 0.3
        await done.caller.speak(0.5)
        await done.caller.pause_until(done.has(AgentStoppedSpeaking))
        with pytest.raises(ValueError, match="temperature"):
            done.session.update(temperature=7.0, max_tokens=20)
        assert done.session.settings.agent.temperature == 0.3  # a bad update changes nothing
        assert done.session.settings.agent.max_tokens is None
        done.session.update(turn=TurnSettings(detector="silence", endpointing_delay=0.9))
        await done.caller.speak(0.5)
        await done.caller.pause_until(done.has(AgentStoppedSpeaking, 2))

    done = await converse(pipeline, script)
    assert [request.temperature for request in llm.requests] == [0.3, 0.3]
    assert llm.requests[0].messages[0].role is Role.SYSTEM
    assert llm.requests[0].messages[0].content == "Be brief."
    turns = of_type(done.events, EndOfUserTurn)
    assert [turn.delay for turn in turns] == [pytest.approx(0.6), pytest.approx(0.9)]
    assert done.session.settings.turn.endpointing_delay == 0.9


async def test_update_before_the_start_shapes_the_session_and_after_the_end_fails_clearly() -> None:
    llm = ScriptedLlm(["Fine."])
    pipeline = make_pipeline(ScriptedStt(["hello"]), llm, FakeTts(), vad_params=QUICK_VAD)
    session = pipeline.session()
    session.update(instructions="You are a pirate.", max_tokens=12)  # the bug: AttributeError
    assert session.settings.agent.max_tokens == 12
    with inline_compute():
        async with session:
            assert session.settings.agent.instructions == "You are a pirate."
            await session.end()
    with pytest.raises(SessionClosedError, match="ended"):
        session.update(temperature=0.5)
    with pytest.raises(SessionClosedError, match="ended"):
        session.say("too late")
    assert session.context.system_prompt == "You are a pirate."


async def test_controls_before_the_start_fail_clearly() -> None:
    session = make_pipeline(ScriptedStt([]), ScriptedLlm([]), FakeTts()).session()
    with pytest.raises(SessionClosedError, match="has not started"):
        session.say("hello")
    with pytest.raises(SessionClosedError, match="has not started"):
        session.interrupt()


# --- one default for the VAD ---------------------------------------------------------------------------------


def test_a_pipeline_built_in_code_gets_the_same_vad_as_the_config_default() -> None:
    pipeline = Pipeline(stt=ScriptedStt([]), llm=ScriptedLlm([]), tts=FakeTts())  # type: ignore[arg-type]
    assert VadConfig().batched
    assert isinstance(pipeline.vad, BatchedSileroEngine)
