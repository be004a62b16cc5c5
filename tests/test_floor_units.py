"""The floor's parts on their own, on virtual time: the playout, the caller-overlap logic, the turn detector and
the interruption controller, each built from small protocols with test doubles instead of a whole session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
import numpy as np
import pytest

from pipeline.base.audio import AudioFrame
from pipeline.base.channel import Channel
from pipeline.base.clock import SessionClock
from pipeline.base.transcripts import Transcript
from pipeline.floor.controller import InterruptionController
from pipeline.floor.idle import IdleMonitor
from pipeline.floor.overlap import CallerOverlap
from pipeline.floor.playout import Playout, PlayoutPhase
from pipeline.observe.bus import EventBus
from pipeline.observe.events import (
    AgentPaused,
    AgentResumed,
    AgentStoppedSpeaking,
    Backchannel,
    EndOfUserTurn,
    Event,
    Interruption,
    SpeechSource,
)
from pipeline.observe.metrics import TurnTimer
from pipeline.settings import IdleSettings, TurnSettings
from pipeline.stages.context import ChatContext
from pipeline.stages.speech import ReplyStep, Speech, SpeechState
from pipeline.stages.turn_setup import TurnPolicies
from providers.errors import ProviderError
from providers.llm import ChatMessage, Role
from turn.barge_in import BargeInPolicy
from turn.decision import TurnDecision
from turn.delay_policy import SilencePolicy
from turn.detector import TurnDetector, TurnState

pytestmark = pytest.mark.anyio

RATE = 16000
FRAME = 0.02


def tone_frame() -> AudioFrame:
    return AudioFrame.from_int16(np.full(round(FRAME * RATE), 1000, dtype=np.int16), RATE)


async def fill(speech: Speech, frames: int, text: str = "hello there") -> None:
    """What a reply engine does: queue the speech's audio, with the text it says."""
    for _ in range(frames):
        await speech.queue_audio(tone_frame())
    speech.tracker.add_audio(frames * FRAME)
    speech.tracker.end_segment(text)
    speech.audio.close()


@dataclass
class RecordingListener:
    playing: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)

    def on_speech_playing(self, speech: Speech) -> None:
        self.playing.append(speech.id)

    def on_speech_finished(self, speech: Speech) -> None:
        self.finished.append(speech.id)


@asynccontextmanager
async def collected(bus: EventBus) -> AsyncIterator[list[Event]]:
    events: list[Event] = []
    subscription = bus.subscribe()

    async def collect() -> None:
        async for event in subscription:
            events.append(event)

    async with anyio.create_task_group() as group:
        bus.start(group)
        group.start_soon(collect)
        yield events
        await anyio.sleep(0)
        bus.close()


# --- playout ---------------------------------------------------------------------------------------------------


async def drain(out: Channel[AudioFrame], into: list[float]) -> None:
    async for _ in out:
        into.append(anyio.current_time())


async def test_playout_paces_in_real_time_and_holds_frames_while_paused() -> None:
    out: Channel[AudioFrame] = Channel("out", 2)
    listener = RecordingListener()
    playout = Playout(out, listener, SessionClock())
    sent: list[float] = []
    speech = Speech(SpeechSource.SAY, turn_id=1)
    speech.transition(SpeechState.GENERATING)
    async with anyio.create_task_group() as group:
        group.start_soon(drain, out, sent)
        group.start_soon(playout.run)
        assert playout.try_enqueue(speech)
        await fill(speech, 10)
        await anyio.sleep(0.05)
        assert playout.phase is PlayoutPhase.PLAYING and playout.pause()
        held = len(sent)
        await anyio.sleep(1.0)
        assert len(sent) == held  # nothing left while paused
        assert playout.resume() == pytest.approx(1.0)
        assert not playout.paused
        await anyio.sleep(0.5)
        playout.close()
    assert len(sent) == 10
    assert listener.playing == listener.finished == [speech.id]
    gaps = np.diff(sent)
    assert sorted(np.round(gaps, 6))[-1] == pytest.approx(1.0 + FRAME, abs=FRAME)  # the pause
    assert np.median(gaps) == pytest.approx(FRAME)  # otherwise one frame per 20 ms
    assert speech.state is SpeechState.PLAYING  # DONE is the controller's call (on_speech_finished)


async def test_a_paused_playout_notices_an_interruption_at_once() -> None:
    out: Channel[AudioFrame] = Channel("out", 2)
    listener = RecordingListener()
    playout = Playout(out, listener, SessionClock())
    speech = Speech(SpeechSource.SAY, turn_id=1)
    speech.transition(SpeechState.GENERATING)
    async with anyio.create_task_group() as group:
        group.start_soon(drain, out, [])
        group.start_soon(playout.run)
        playout.try_enqueue(speech)
        group.start_soon(fill, speech, 100)
        await anyio.sleep(0.1)
        playout.pause()
        speech.stop(SpeechState.INTERRUPTED)
        playout.resume()
        decided_at = anyio.current_time()
        # let every runnable task run; the virtual clock cannot move while this one spins
        for _ in range(100):
            if listener.finished:
                break
            await anyio.sleep(0)
        assert anyio.current_time() == decided_at  # noticed with no time passing, not at the next frame
        assert listener.finished == [speech.id]
        assert playout.phase is PlayoutPhase.IDLE
        playout.close()
    assert speech.played_seconds < 0.2


# --- caller overlap --------------------------------------------------------------------------------------------


async def test_overlap_pauses_on_onset_and_resumes_when_no_words_come() -> None:
    bus = EventBus("s")
    out: Channel[AudioFrame] = Channel("out", 2)
    playout = Playout(out, RecordingListener(), bus.clock)
    forgotten: list[bool] = []
    speech = Speech(SpeechSource.REPLY, turn_id=1)
    speech.transition(SpeechState.GENERATING)
    async with collected(bus) as events, anyio.create_task_group() as group:
        overlap = CallerOverlap(
            policy=BargeInPolicy(0.5, 0, frozenset({"uh-huh"})),
            false_interruption_timeout=0.8,
            playout=playout,
            bus=bus,
            task_group=group,
            forget_caller_turn=lambda: forgotten.append(True),
        )
        group.start_soon(drain, out, [])
        group.start_soon(playout.run)
        playout.try_enqueue(speech)
        group.start_soon(fill, speech, 200)
        await anyio.sleep(0.1)
        overlap.caller_started(speech)  # a cough
        assert playout.paused
        await anyio.sleep(0.2)
        overlap.caller_stopped()
        await anyio.sleep(0.79)
        assert playout.paused  # still waiting for words
        await anyio.sleep(0.02)
        assert not playout.paused
        overlap.caller_started(speech)  # "uh-huh"
        assert overlap.caller_final("uh-huh")
        assert not playout.paused and forgotten == [True]
        speech.stop(SpeechState.INTERRUPTED)
        playout.close()
    kinds = [type(event) for event in events]
    assert kinds == [AgentPaused, AgentResumed, AgentPaused, Backchannel, AgentResumed]
    resumed = [event for event in events if isinstance(event, AgentResumed)]
    assert [event.reason for event in resumed] == ["false_interruption", "backchannel"]
    assert resumed[0].paused_seconds == pytest.approx(1.0)


# --- turn detector ---------------------------------------------------------------------------------------------


async def test_detector_waits_for_the_silence_and_the_final_then_decides_once() -> None:
    decisions: list[TurnDecision] = []
    detector = TurnDetector(SilencePolicy(0.3), decisions.append, stt_timeout=1.0)
    async with anyio.create_task_group() as group:
        group.start_soon(detector.run)
        detector.on_speech_started()
        detector.on_transcript(Transcript("book a", is_final=False))
        await anyio.sleep(0.5)
        stopped = anyio.current_time()
        detector.on_speech_stopped(stopped)
        assert detector.state is TurnState.WAITING
        await anyio.sleep(0.1)
        detector.on_transcript(Transcript("book a table", is_final=True, from_finalize=True))
        await anyio.sleep(0.19)
        assert decisions == []  # the final is in, the silence is not over
        await anyio.sleep(0.02)
        assert [decision.transcript for decision in decisions] == ["book a table"]
        assert decisions[0].silence_met - stopped == pytest.approx(0.3)
        assert detector.state is TurnState.IDLE and detector.is_idle
        group.cancel_scope.cancel()


async def test_detector_gives_up_on_the_final_after_the_stt_timeout() -> None:
    decisions: list[TurnDecision] = []
    detector = TurnDetector(SilencePolicy(0.2), decisions.append, stt_timeout=0.5)
    async with anyio.create_task_group() as group:
        group.start_soon(detector.run)
        detector.on_speech_started()
        detector.on_transcript(Transcript("hello", is_final=True))  # an early final, not the finalize answer
        detector.on_speech_stopped(anyio.current_time())
        await anyio.sleep(0.69)
        assert decisions == []
        await anyio.sleep(0.02)
        assert [(d.transcript, d.reason) for d in decisions] == [("hello", "stt_timeout")]
        group.cancel_scope.cancel()


# --- the interruption controller -------------------------------------------------------------------------------


@dataclass
class ScriptedEngine:
    """A reply producer: every reply is ``frames`` frames saying ``text``."""

    frames: int = 20
    text: str = "hello there friend"
    requests: list[tuple[ChatMessage, ...]] = field(default_factory=list)

    async def generate(
        self, speech: Speech, messages: tuple[ChatMessage, ...], timer: TurnTimer | None
    ) -> None:
        self.requests.append(messages)
        speech.steps.append(ReplyStep(text=self.text))  # what the LLM wrote
        await fill(speech, self.frames, self.text)

    async def speak(self, speech: Speech, text: str) -> None:
        await fill(speech, self.frames, text)

    async def play(self, speech: Speech, audio: AudioFrame, text: str = "") -> None:
        await fill(speech, self.frames, text)


@dataclass
class RecordingHost:
    ended: list[tuple[str, str | None]] = field(default_factory=list)
    errors: list[ProviderError] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)

    def end_call(self, reason: str, goodbye: str | None) -> None:
        self.ended.append((reason, goodbye))

    def clear_output(self, speech_id: str) -> None:
        self.cleared.append(speech_id)

    def fatal_error(self, error: ProviderError) -> None:
        self.errors.append(error)


Script = Callable[[InterruptionController, ChatContext], Awaitable[None]]


async def run_floor(
    script: Script, engine: ScriptedEngine, **turn: object
) -> tuple[list[Event], ChatContext]:
    bus = EventBus("s")
    out: Channel[AudioFrame] = Channel("out", 5)
    context = ChatContext("Be brief.")
    settings = TurnSettings(detector="silence", false_interruption_timeout=None, **turn)  # type: ignore[arg-type]
    async with collected(bus) as events, anyio.create_task_group() as group:
        controller = InterruptionController(
            bus=bus,
            clock=bus.clock,
            context=context,
            engine=engine,
            out=out,
            task_group=group,
            policies=TurnPolicies(RATE, settings),
            turn=settings,
            idle=IdleMonitor(IdleSettings(timeout=None), bus),
            host=RecordingHost(),
        )
        group.start_soon(drain, out, [])
        controller.start()
        await script(controller, context)
        await controller.finish(5.0)
        await anyio.sleep(0.1)  # the speeches' own tasks record what was heard
        group.cancel_scope.cancel()
    return events, context


async def caller_says(controller: InterruptionController, text: str, seconds: float) -> None:
    controller.speech_started(0.0, 0.1)
    for step in range(round(seconds / FRAME)):
        controller.speech_progress(0.1 + step * FRAME)
        await anyio.sleep(FRAME)
    controller.speech_stopped(0.0, seconds, anyio.current_time())
    controller.transcript(Transcript(text, is_final=True, from_finalize=True))


async def test_controller_answers_a_finished_turn_and_records_what_was_said() -> None:
    engine = ScriptedEngine()

    async def script(controller: InterruptionController, context: ChatContext) -> None:
        await caller_says(controller, "what time is it", 0.6)
        await anyio.sleep(2.0)

    events, context = await run_floor(script, engine, endpointing_delay=0.4)
    (turn,) = [e for e in events if isinstance(e, EndOfUserTurn)]
    assert (turn.transcript, turn.delay) == ("what time is it", pytest.approx(0.4))
    assert [m.content for m in engine.requests[0]] == ["Be brief.", "what time is it"]
    (stopped,) = [e for e in events if isinstance(e, AgentStoppedSpeaking)]
    assert not stopped.interrupted and stopped.heard_text == "hello there friend"
    assert [(m.role, m.content) for m in context.messages] == [
        (Role.USER, "what time is it"),
        (Role.ASSISTANT, "hello there friend"),
    ]


async def test_controller_yields_to_caller_speech_longer_than_the_minimum() -> None:
    engine = ScriptedEngine(frames=200, text=" ".join(f"word{index}" for index in range(40)))

    async def script(controller: InterruptionController, context: ChatContext) -> None:
        await caller_says(controller, "tell me a story", 0.5)
        await anyio.sleep(1.0)  # the reply plays
        controller.speech_started(0.0, 0.1)
        for step in range(30):
            controller.speech_progress(0.1 + step * FRAME)
            await anyio.sleep(FRAME)

    events, context = await run_floor(script, engine, endpointing_delay=0.3, min_interruption_duration=0.3)
    (interruption,) = [e for e in events if isinstance(e, Interruption)]
    assert interruption.speech_duration == pytest.approx(0.3)
    (stopped,) = [e for e in events if isinstance(e, AgentStoppedSpeaking)]
    assert stopped.interrupted and stopped.played_seconds < 1.0
    (assistant,) = [m for m in context.messages if m.role is Role.ASSISTANT]
    assert assistant.interrupted and assistant.content == stopped.heard_text
    assert engine.text.startswith(assistant.content) and 0 < len(assistant.content) < len(engine.text) / 2


def test_barge_in_duration_is_met_to_the_nearest_frame() -> None:
    policy = BargeInPolicy(0.2, 0, frozenset())
    # the VAD measures speech to the nearest 20 ms frame: 0.19 s is a 0.2 s minimum met, 0.18 s is not
    assert policy.should_interrupt(0.19, "")
    assert not policy.should_interrupt(0.18, "")
