"""The interruption controller: the single owner of who holds the floor.

It hears the caller (VAD speech start/progress/stop, transcripts, end-of-turn decisions) and the agent's playback,
and it alone decides: end of user turn -> start a reply; caller speech over an interruptible speech long enough
(barge-in policy) -> cancel that speech, drop its queued audio, and keep in the context only what was heard.
All methods are synchronous and run on the session's event loop, so decisions are atomic.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
from anyio.abc import TaskGroup

from pipeline.base.audio import AudioFrame
from pipeline.base.channel import Channel
from pipeline.floor.overlap import CallerOverlap, OverlapPhase
from pipeline.floor.playout import Playout
from pipeline.observe.bus import EventBus
from pipeline.observe.events import (
    AgentStartedSpeaking,
    AgentState,
    AgentStateChanged,
    AgentStoppedSpeaking,
    EndOfUserTurn,
    ErrorEvent,
    Interruption,
    SpeechSource,
    UserStartedSpeaking,
    UserState,
    UserStateChanged,
    UserStoppedSpeaking,
)
from pipeline.observe.metrics import TurnTimer
from pipeline.stages.commit import commit_speech
from pipeline.stages.context import ChatContext
from pipeline.stages.speech import Speech, SpeechState
from providers.errors import ProviderError, root_cause
from providers.stt import Transcript
from turn.barge_in import BargeInPolicy
from turn.decision import TurnDecision

SpeechWork = Callable[[Speech], Awaitable[None]]


class InterruptionController:
    def __init__(
        self,
        *,
        bus: EventBus,
        context: ChatContext,
        out: Channel[AudioFrame],
        task_group: TaskGroup,
        barge_in: BargeInPolicy,
        false_interruption_timeout: float | None,
        forget_caller_turn: Callable[[], None],
        reply_work: Callable[[Speech, TurnTimer | None], Awaitable[None]],
        on_turn_metrics: Callable[[Speech, TurnTimer], None],
        on_fatal_error: Callable[[ProviderError], None],
        on_end_call: Callable[[str | None], None],
        on_activity: Callable[[bool], None] = lambda caller_spoke: None,
    ) -> None:
        self._bus = bus
        self._context = context
        self.playout = Playout(out, self, bus.now)
        self._task_group = task_group
        self.overlap = CallerOverlap(
            policy=barge_in,
            playout=self.playout,
            bus=bus,
            task_group=task_group,
            false_interruption_timeout=false_interruption_timeout,
            forget_caller_turn=forget_caller_turn,
        )
        self._reply_work = reply_work
        self._on_turn_metrics = on_turn_metrics
        self._on_fatal_error = on_fatal_error
        self._on_end_call = on_end_call
        self._on_activity = on_activity
        self.caller_spoke = anyio.Event()  # set at the caller's first speech
        self.agent_state = AgentState.LISTENING
        self.user_state = UserState.LISTENING
        self.turn_id = 0
        self._turn_open = False  # the caller has started the turn ``turn_id`` and it has not been decided
        self._speeches: list[Speech] = []  # not yet finished, in playout order
        self._timers: dict[str, TurnTimer] = {}
        self._user_speech_duration = 0.0

    @property
    def active_speech(self) -> Speech | None:
        return self._speeches[0] if self._speeches else None

    # --- the caller -----------------------------------------------------------------------------------------

    def on_user_speech_started(self, media_time: float) -> None:
        if not self._turn_open:
            self.turn_id += 1
            self._turn_open = True
        self._user_speech_duration = 0.0
        self.caller_spoke.set()
        self._set_user_state(UserState.SPEAKING)
        self._bus.emit(UserStartedSpeaking, turn_id=self.turn_id, media_time=media_time)
        self.overlap.caller_started(self.active_speech)

    def on_user_speech_progress(self, speech_duration: float) -> None:
        self._user_speech_duration = speech_duration
        self._consider_barge_in()

    def on_user_speech_stopped(self, media_time: float, speech_duration: float) -> None:
        self._set_user_state(UserState.LISTENING)
        self._on_activity(True)
        self.overlap.caller_stopped()
        self._bus.emit(
            UserStoppedSpeaking, turn_id=self.turn_id, media_time=media_time, speech_duration=speech_duration
        )

    def on_transcript(self, transcript: Transcript) -> None:
        """Returns nothing; a final that is only a backchannel over agent speech is reported and dropped."""
        if self.user_state is UserState.SPEAKING and transcript.text:
            self.overlap.caller_words(transcript.text)
            self._consider_barge_in()
        elif transcript.is_final and transcript.text:
            self.overlap.caller_final(transcript.text)

    def on_end_of_turn(self, decision: TurnDecision) -> None:
        self._turn_open = False
        if self.overlap.is_backchannel_turn(self.active_speech, decision.transcript):
            return
        self._bus.emit(
            EndOfUserTurn,
            turn_id=self.turn_id,
            transcript=decision.transcript,
            reason=decision.reason,
            probability=decision.probability,
            delay=decision.delay,
        )
        for speech in list(self._speeches):
            if speech.allow_interruption and speech.source is SpeechSource.REPLY:
                self.interrupt(speech)  # the caller finished a whole new turn: a pending reply is stale
        self._context.add_user(decision.transcript)
        timer = TurnTimer(
            user_stopped=decision.user_stopped, silence_met=decision.silence_met, decided=decision.decided
        )
        self.start_reply(timer)

    # --- the agent ------------------------------------------------------------------------------------------

    def start_reply(self, timer: TurnTimer | None = None) -> Speech:
        speech = Speech(SpeechSource.REPLY, turn_id=self.turn_id)
        if timer is not None:
            self._timers[speech.id] = timer
        return self.launch(speech, lambda s: self._reply_work(s, timer))

    def launch(self, speech: Speech, work: SpeechWork) -> Speech:
        """Queue ``speech`` for playout and start producing its audio now."""
        if not self.playout.try_enqueue(speech):
            speech.error = "too many queued speeches"
            speech.transition(SpeechState.FAILED)
            self._bus.emit(
                ErrorEvent, source="playout", code="queue_full", message=speech.error, recoverable=True
            )
            return speech
        self._speeches.append(speech)
        self._task_group.start_soon(self._produce, speech, work)
        self._update_agent_state()
        return speech

    def interrupt(self, speech: Speech | None = None) -> bool:
        """Stop ``speech`` (default: the one holding the floor) now, keeping only what was heard."""
        target = speech or self.active_speech
        if target is None or not target.stop(SpeechState.INTERRUPTED):
            return False
        self.overlap.ended()
        self._bus.emit(
            Interruption,
            turn_id=target.turn_id,
            speech_id=target.id,
            speech_duration=self._user_speech_duration,
        )
        if self.playout.current is target:
            self.playout.resume()  # a paused playout must notice at once; it then calls on_speech_finished
        else:
            self._release(target)
        return True

    async def _produce(self, speech: Speech, work: SpeechWork) -> None:
        """The speech's own task: produce its audio, then — once it has also left the output buffer, and any
        tool call it started has finished — record in the context what the caller heard."""
        with speech.cancel_scope:
            try:
                if speech.state is SpeechState.PENDING:
                    speech.transition(SpeechState.GENERATING)
                await work(speech)
            except Exception as group:
                exc = root_cause(group)
                if isinstance(exc, ProviderError):
                    self._fail(speech, exc.provider, exc.code.value, exc.message, exc.recoverable)
                    if not exc.recoverable:
                        self._on_fatal_error(exc)
                else:
                    self._fail(speech, "pipeline", "internal_error", f"{type(exc).__name__}: {exc}", True)
        if not speech.audio.closed:
            speech.audio.close()
        await speech.wait_released()
        commit_speech(self._context, speech)

    def _fail(self, speech: Speech, source: str, code: str, message: str, recoverable: bool) -> None:
        speech.error = message
        self._bus.emit(
            ErrorEvent,
            turn_id=speech.turn_id,
            source=source,
            code=code,
            message=message,
            recoverable=recoverable,
        )
        if speech.stop(SpeechState.FAILED) and self.playout.current is not speech:
            self._release(speech)

    # --- playout callbacks ----------------------------------------------------------------------------------

    def on_speech_playing(self, speech: Speech) -> None:
        self._bus.emit(
            AgentStartedSpeaking, turn_id=speech.turn_id, speech_id=speech.id, source=speech.source
        )
        timer = self._timers.get(speech.id)
        if timer is not None:
            timer.first_audio_out = self.playout.first_frame_time
            self._on_turn_metrics(speech, timer)
        self._update_agent_state()

    def on_speech_finished(self, speech: Speech) -> None:
        if speech.state in (SpeechState.GENERATING, SpeechState.PLAYING):
            speech.transition(SpeechState.DONE)
        if self.overlap.phase is OverlapPhase.PAUSED:
            self.overlap.ended()
        self._release(speech)

    def _release(self, speech: Speech) -> None:
        """The speech no longer holds the floor: report what was heard and let the next one play."""
        if speech not in self._speeches:
            return
        self._speeches.remove(speech)
        self._timers.pop(speech.id, None)
        speech.release()
        if speech.played_seconds > 0:
            self._bus.emit(
                AgentStoppedSpeaking,
                turn_id=speech.turn_id,
                speech_id=speech.id,
                source=speech.source,
                interrupted=speech.state is SpeechState.INTERRUPTED,
                heard_text=speech.heard_text(),
                text=speech.text,
                played_seconds=round(speech.played_seconds, 6),
            )
        self._update_agent_state()
        if speech.end_call_requested and speech.state is SpeechState.DONE:
            self._on_end_call(speech.end_call_goodbye)

    # --- state ----------------------------------------------------------------------------------------------

    def _consider_barge_in(self) -> None:
        speech = self.active_speech
        if self.user_state is UserState.SPEAKING and self.overlap.should_interrupt(
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
            self._bus.emit(AgentStateChanged, turn_id=self.turn_id or None, old=old, new=new)
            self._on_activity(False)

    def _set_user_state(self, new: UserState) -> None:
        if new is not self.user_state:
            old, self.user_state = self.user_state, new
            self._bus.emit(UserStateChanged, turn_id=self.turn_id or None, old=old, new=new)
            self._on_activity(new is UserState.SPEAKING)

    def mark_caller_away(self) -> None:
        """The caller has not answered the idle timeout (they are ``away`` until they speak again)."""
        if self.user_state is UserState.LISTENING:
            self._set_user_state(UserState.AWAY)

    async def finish(self, drain_timeout: float) -> None:
        """The session is ending: speech in progress may finish (up to ``drain_timeout``), what is left is
        interrupted, the output buffer closes and the agent state becomes ENDED."""
        with anyio.move_on_after(drain_timeout):
            while self.active_speech is not None:
                await self.active_speech.wait()
        self.interrupt()  # whatever did not finish in time
        self.playout.close()
        old, self.agent_state = self.agent_state, AgentState.ENDED
        self._bus.emit(AgentStateChanged, old=old, new=AgentState.ENDED)
