"""The interruption controller: the single owner of who holds the floor.

It is the one sink for caller signals (VAD speech start/progress/stop and transcripts, from the input and
speech-to-text stages) and owns the pieces that act on them: the turn detector, the caller-overlap logic, the
playout and the idle monitor. It alone decides: end of user turn -> start a reply; caller speech over an
interruptible speech long enough (barge-in policy) -> cancel that speech, drop its queued audio, and keep in the
context only what was heard. All methods are synchronous and run on the session's event loop, so decisions are
atomic. What it needs from the session hosting it is the small ``FloorHost`` protocol.
"""

from __future__ import annotations

from enum import Enum
from typing import Protocol

import anyio
from anyio.abc import TaskGroup

from pipeline.base.audio import AudioFrame
from pipeline.base.channel import Channel
from pipeline.base.clock import SessionClock
from pipeline.base.transcripts import Transcript
from pipeline.floor.idle import IdleMonitor
from pipeline.floor.overlap import CallerOverlap
from pipeline.floor.playout import Playout
from pipeline.floor.preemptive import PreemptiveGenerator
from pipeline.floor.speech_queue import SpeechQueue, SpeechWork
from pipeline.observe.bus import EventBus
from pipeline.observe.events import (
    AgentState,
    AgentStateChanged,
    EndOfUserTurn,
    Interruption,
    SpeechSource,
    UserStartedSpeaking,
    UserState,
    UserStateChanged,
    UserStoppedSpeaking,
)
from pipeline.observe.logs import current_scope
from pipeline.observe.metrics import TurnTimer
from pipeline.settings import PreemptiveSettings, TurnSettings
from pipeline.stages.context import ChatContext
from pipeline.stages.speech import Speech, SpeechState
from pipeline.stages.turn_setup import TurnPolicies
from providers.errors import ProviderError
from providers.llm import ChatMessage
from turn.decision import TurnDecision
from turn.detector import TurnDetector


class ReplyProducer(Protocol):
    """Produces a speech's audio (the reply engine)."""

    async def generate(
        self, speech: Speech, messages: tuple[ChatMessage, ...], timer: TurnTimer | None
    ) -> None: ...

    async def speak(self, speech: Speech, text: str) -> None: ...

    async def play(self, speech: Speech, audio: AudioFrame, text: str = "") -> None: ...


class FloorHost(Protocol):
    """What the controller needs from the session that hosts it."""

    def end_call(self, reason: str, goodbye: str | None) -> None:
        """End the call (after ``goodbye``, spoken in full): the end_call tool, or the idle timeout."""
        ...

    def fatal_error(self, error: ProviderError) -> None:
        """A provider failed for good: end the session."""
        ...

    def clear_output(self, speech_id: str) -> None:
        """An interruption: the transport drops the agent audio of ``speech_id`` it holds but has not played."""
        ...


class FloorPhase(Enum):
    OPEN = "open"  # the call is on
    CLOSING = "closing"  # the session is ending: speech in progress may finish, nothing new is decided
    CLOSED = "closed"


class InterruptionController:
    def __init__(
        self,
        *,
        bus: EventBus,
        clock: SessionClock,
        context: ChatContext,
        engine: ReplyProducer,
        out: Channel[AudioFrame],
        task_group: TaskGroup,
        policies: TurnPolicies,
        turn: TurnSettings,
        idle: IdleMonitor,
        host: FloorHost,
        preemptive: PreemptiveSettings | None = None,
    ) -> None:
        self._bus = bus
        self._context = context
        self._engine = engine
        self._task_group = task_group
        self._policies = policies
        self._host = host
        self._playout = Playout(out, self, clock)
        self._detector = TurnDetector(
            policies.delay(turn),
            self._on_end_of_turn,
            stt_timeout=turn.stt_timeout,
            agent_last_utterance=context.last_assistant_text,
            audio_score=policies.audio_score(turn),
        )
        self._overlap = CallerOverlap(
            policy=policies.barge_in(turn),
            false_interruption_timeout=turn.false_interruption_timeout,
            playout=self._playout,
            bus=bus,
            task_group=task_group,
            forget_caller_turn=self._detector.reset,
        )
        self._speeches = SpeechQueue(
            bus=bus,
            context=context,
            playout=self._playout,
            task_group=task_group,
            on_failed=self._release,
            fatal_error=host.fatal_error,
        )
        self._idle = idle
        self._preemptive = PreemptiveGenerator(
            preemptive or PreemptiveSettings(), bus=bus, context=context, start=self._start_held_reply
        )
        self.caller_spoke = anyio.Event()  # set at the caller's first speech
        self.agent_state = AgentState.INITIALIZING  # until ``start``
        self.user_state = UserState.LISTENING
        self._phase = FloorPhase.OPEN
        self._turn_id = 0
        self._turn_open = False  # the caller has started the turn ``turn_id`` and it has not been decided
        self._user_speech_duration = 0.0
        self.speaking_agent: str | None = None  # the named agent whose speeches start now (multi-agent)

    def start(self) -> None:
        """Start the background work: the turn detector's deadlines, the playout and the idle monitor."""
        self._task_group.start_soon(self._detector.run)
        self._task_group.start_soon(self._playout.run)
        self._task_group.start_soon(self._watch_idle)
        self._update_agent_state()  # initializing -> listening

    async def _watch_idle(self) -> None:
        await self._idle.run(self)

    @property
    def turn_id(self) -> int:
        return self._turn_id

    @property
    def active_speech(self) -> Speech | None:
        return self._speeches.active

    def apply(self, turn: TurnSettings) -> None:
        """New turn-taking settings, effective from the next decision."""
        self._detector.apply(self._policies.delay(turn), turn.stt_timeout, self._policies.audio_score(turn))
        self._overlap.apply(self._policies.barge_in(turn), turn.false_interruption_timeout)

    def apply_preemptive(self, settings: PreemptiveSettings) -> None:
        """New preemptive-generation settings, effective from the next final transcript."""
        self._preemptive.apply(settings)

    # --- caller signals (the ``CallerSignals`` protocol of the input and STT stages) ---------------------

    def speech_started(self, media_time: float, speech_duration: float) -> None:
        if not self._turn_open:
            self._turn_id += 1
            self._turn_open = True
            scope = current_scope()
            if scope is not None:  # log records of this session carry the new turn from now on
                scope.turn_id = self._turn_id
        self._user_speech_duration = speech_duration
        self.caller_spoke.set()
        self._preemptive.caller_continued()
        # the VAD confirms speech ``speech_duration`` after it began: the pause ended then, not now
        self._detector.on_speech_started(anyio.current_time() - speech_duration)
        self._set_user_state(UserState.SPEAKING)
        self._bus.emit(UserStartedSpeaking, turn_id=self._turn_id, media_time=media_time)
        self._overlap.caller_started(self.active_speech)
        self._consider_barge_in()  # the window that starts speech may already be long enough

    def speech_onset(self) -> None:
        self._detector.on_speech_onset()  # a caller who may have resumed is not cut off while the VAD confirms

    def speech_onset_dropped(self) -> None:
        self._detector.on_speech_onset_dropped()

    def speech_progress(self, speech_duration: float) -> None:
        self._user_speech_duration = speech_duration
        self._consider_barge_in()

    def speech_stopped(self, media_time: float, speech_duration: float, user_stopped: float) -> None:
        self._set_user_state(UserState.LISTENING)
        self._idle.touch(caller_spoke=True)
        self._overlap.caller_stopped()
        self._bus.emit(
            UserStoppedSpeaking, turn_id=self._turn_id, media_time=media_time, speech_duration=speech_duration
        )
        self._detector.on_speech_stopped(user_stopped)

    def transcript(self, transcript: Transcript) -> None:
        """The detector hears every transcript; a final that is only a backchannel over agent speech is
        reported and dropped by the overlap logic."""
        self._detector.on_transcript(transcript)
        if self.user_state is UserState.SPEAKING and transcript.text:
            self._overlap.caller_words(transcript.text)
            self._consider_barge_in()
        elif transcript.is_final and transcript.text:
            self._overlap.caller_final(transcript.text)
        if transcript.is_final and transcript.text and self._may_preempt():
            self._preemptive.on_final(self._turn_id, self._detector.transcript)

    def _may_preempt(self) -> bool:
        """A final transcript may start a preemptive reply: the turn is undecided, the caller has stopped and
        the agent has nothing to say or play."""
        return (
            self._turn_open
            and not self._speeches
            and self._phase is FloorPhase.OPEN
            and self.user_state is not UserState.SPEAKING
        )

    def _on_end_of_turn(self, decision: TurnDecision) -> None:
        self._turn_open = False
        if self._overlap.is_backchannel_turn(self.active_speech, decision.transcript):
            return
        self._bus.emit(
            EndOfUserTurn,
            turn_id=self._turn_id,
            transcript=decision.transcript,
            reason=decision.reason,
            probability=decision.probability,
            delay=decision.delay,
        )
        for speech in self._speeches.in_order():
            if speech.allow_interruption and speech.source is SpeechSource.REPLY:
                self.interrupt(speech)  # the caller finished a whole new turn: a pending reply is stale
        timer = TurnTimer(
            user_stopped=decision.user_stopped, silence_met=decision.silence_met, decided=decision.decided
        )
        committed = self._preemptive.take(decision.transcript, timer)
        self._context.add_user(decision.transcript)
        if committed is None:
            self.start_reply(timer)
        elif self._speeches.enqueue(committed.speech, committed.timer):
            self._update_agent_state()

    # --- the agent ------------------------------------------------------------------------------------------

    def say(self, text: str, *, allow_interruption: bool = True) -> Speech:
        speech = Speech(SpeechSource.SAY, turn_id=self._turn_id, allow_interruption=allow_interruption)
        return self._launch(speech, lambda s: self._engine.speak(s, text))

    def play(self, audio: AudioFrame, text: str = "", *, allow_interruption: bool = True) -> Speech:
        speech = Speech(SpeechSource.PLAY, turn_id=self._turn_id, allow_interruption=allow_interruption)
        return self._launch(speech, lambda s: self._engine.play(s, audio, text))

    def start_reply(self, timer: TurnTimer | None = None) -> Speech:
        speech = Speech(SpeechSource.REPLY, turn_id=self._turn_id)
        return self._launch(speech, lambda s: self._engine.generate(s, self._context.for_llm(), timer), timer)

    def interrupt(self, speech: Speech | None = None) -> bool:
        """Stop ``speech`` (default: the one holding the floor) now, keeping only what was heard."""
        target = speech or self.active_speech
        if target is None or not target.stop(SpeechState.INTERRUPTED):
            return False
        self._overlap.ended()
        self._bus.emit(
            Interruption,
            turn_id=target.turn_id,
            speech_id=target.id,
            speech_duration=self._user_speech_duration,
        )
        if self._playout.current is target:
            self._playout.resume()  # a paused playout must notice at once; it then calls on_speech_finished
            # its audio already handed ahead to the output was never heard: drop it, here and in the transport
            target.played_seconds = max(0.0, target.played_seconds - self._playout.flush())
            self._host.clear_output(target.id)
        else:
            self._release(target)
        return True

    def playback_mark(self, speech_id: str, played_seconds: float) -> None:
        """The transport has played the first ``played_seconds`` of a speech (a Twilio ``mark``, a Plivo
        ``playedStream``): what the caller heard follows it. Marks of speeches already released are ignored."""
        for speech in self._speeches.in_order():
            if speech.id == speech_id:
                speech.confirm_played(played_seconds)

    def _launch(self, speech: Speech, work: SpeechWork, timer: TurnTimer | None = None) -> Speech:
        """Queue ``speech`` for playout and start producing its audio now."""
        speech.agent = self.speaking_agent
        if self._speeches.launch(speech, work, timer):
            self._update_agent_state()
        return speech

    def _start_held_reply(self, speech: Speech, messages: tuple[ChatMessage, ...], timer: TurnTimer) -> None:
        """A preemptive reply: produced now, queued for playout only if the preemptive generator commits it."""
        speech.agent = self.speaking_agent
        self._speeches.produce(speech, lambda s: self._engine.generate(s, messages, timer))

    # --- playout callbacks (``PlayoutListener``) ------------------------------------------------------------

    def on_speech_playing(self, speech: Speech) -> None:
        self._speeches.announce(speech)
        self._update_agent_state()

    def on_speech_finished(self, speech: Speech) -> None:
        if speech.state in (SpeechState.GENERATING, SpeechState.PLAYING):
            speech.transition(SpeechState.DONE)
        self._overlap.ended()
        self._release(speech)

    def _release(self, speech: Speech) -> None:
        """The speech no longer holds the floor: report what was heard and let the next one play."""
        if not self._speeches.remove(speech):
            return
        self._update_agent_state()
        if speech.end_call_requested and speech.state is SpeechState.DONE:
            self._host.end_call("end_call", speech.end_call_goodbye)
        if speech.state is SpeechState.DONE and self._phase is FloorPhase.OPEN:
            for item in speech.after_done:
                item.action()  # heard in full: what its tools asked for happens now (hand-off, collector)

    # --- the line, as the idle monitor sees it (``Line``) ---------------------------------------------------

    def is_quiet(self) -> bool:
        return (
            self._phase is FloorPhase.OPEN
            and self.agent_state is AgentState.LISTENING
            and self.user_state is not UserState.SPEAKING
            and self._detector.is_idle
        )

    def prompt_reply(self, note: str) -> None:
        self._context.add_note(note)
        self.start_reply()

    def caller_away(self) -> None:
        """The caller has not answered the idle timeout (they are ``away`` until they speak again)."""
        if self.user_state is UserState.LISTENING:
            self._set_user_state(UserState.AWAY)

    def goodbye(self, text: str) -> None:
        self._host.end_call("idle", text)

    # --- state ----------------------------------------------------------------------------------------------

    def _consider_barge_in(self) -> None:
        speech = self.active_speech
        if self.user_state is UserState.SPEAKING and self._overlap.should_interrupt(
            speech, self._user_speech_duration
        ):
            self.interrupt(speech)

    def _update_agent_state(self) -> None:
        speech = self.active_speech
        if speech is None:
            new = AgentState.LISTENING
        elif speech.state is SpeechState.PLAYING:
            new = AgentState.SPEAKING
        else:
            new = AgentState.THINKING
        if new is not self.agent_state:
            old, self.agent_state = self.agent_state, new
            self._bus.emit(AgentStateChanged, turn_id=self._turn_id or None, old=old, new=new)
            self._idle.touch()

    def _set_user_state(self, new: UserState) -> None:
        if new is not self.user_state:
            old, self.user_state = self.user_state, new
            self._bus.emit(UserStateChanged, turn_id=self._turn_id or None, old=old, new=new)
            self._idle.touch(caller_spoke=new is UserState.SPEAKING)

    async def finish(self, drain_timeout: float) -> None:
        """The session is ending: speech in progress may finish (up to ``drain_timeout``), what is left is
        interrupted, the output buffer closes and the agent state becomes ENDED."""
        self._phase = FloorPhase.CLOSING
        self._preemptive.end()
        await self._speeches.wait_empty(drain_timeout)
        for speech in self._speeches.in_order():
            self.interrupt(speech)  # whatever did not finish in time
        self._playout.close()
        for speech in self._speeches.in_order():
            self._release(speech)  # the playout will not report them any more: agent_stopped_speaking now
        self._phase = FloorPhase.CLOSED
        old, self.agent_state = self.agent_state, AgentState.ENDED
        self._bus.emit(AgentStateChanged, old=old, new=AgentState.ENDED)
