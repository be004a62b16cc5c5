"""The agent's speeches between being queued and leaving the floor: their order, the production of their audio,
and what is reported when one starts and stops being heard.

The interruption controller owns one and alone decides what is queued, interrupted or released; this keeps the
bookkeeping (speeches in playout order, turn timers, ``agent_started_speaking`` / ``agent_stopped_speaking``)
and runs each speech's own task.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
from anyio.abc import TaskGroup

from pipeline.floor.playout import Playout
from pipeline.observe.bus import EventBus
from pipeline.observe.events import AgentStartedSpeaking, AgentStoppedSpeaking, ErrorEvent
from pipeline.observe.metrics import TurnTimer, emit_turn_metrics
from pipeline.stages.commit import commit_speech
from pipeline.stages.context import ChatContext
from pipeline.stages.speech import Speech, SpeechState
from providers.errors import ProviderError, root_cause

SpeechWork = Callable[[Speech], Awaitable[None]]


class SpeechQueue:
    """Speeches not yet finished, in playout order (the first holds the floor)."""

    def __init__(
        self,
        *,
        bus: EventBus,
        context: ChatContext,
        playout: Playout,
        task_group: TaskGroup,
        on_failed: Callable[[Speech], None],
        fatal_error: Callable[[ProviderError], None],
    ) -> None:
        """``on_failed``: a queued speech failed and is not playing (the controller releases it);
        ``fatal_error``: a provider failed for good."""
        self._bus = bus
        self._context = context
        self._playout = playout
        self._task_group = task_group
        self._on_failed = on_failed
        self._fatal_error = fatal_error
        self._speeches: list[Speech] = []
        self._announced: set[str] = set()  # speeches whose agent_started_speaking was emitted
        self._changed = anyio.Event()  # set whenever a speech leaves the queue
        self._timers: dict[str, TurnTimer] = {}

    @property
    def active(self) -> Speech | None:
        """The speech holding the floor."""
        return self._speeches[0] if self._speeches else None

    def __bool__(self) -> bool:
        return bool(self._speeches)

    def in_order(self) -> list[Speech]:
        """A copy of the queued speeches, in playout order."""
        return list(self._speeches)

    def enqueue(self, speech: Speech, timer: TurnTimer | None = None) -> bool:
        """Queue ``speech`` for playout (``timer``: the turn it answers, for its metrics); when the playout's
        queue is full it fails at once (a recoverable ``queue_full`` error) and False is returned."""
        if not self._playout.try_enqueue(speech):
            speech.error = "too many queued speeches"
            speech.stop(SpeechState.FAILED)
            speech.release()
            self._bus.emit(
                ErrorEvent, source="playout", code="queue_full", message=speech.error, recoverable=True
            )
            return False
        self._speeches.append(speech)
        if timer is not None:
            self._timers[speech.id] = timer
        return True

    def launch(self, speech: Speech, work: SpeechWork, timer: TurnTimer | None = None) -> bool:
        """Queue ``speech`` and start producing its audio now; False if it could not be queued."""
        if not self.enqueue(speech, timer):
            return False
        self.produce(speech, work)
        return True

    def produce(self, speech: Speech, work: SpeechWork) -> None:
        """Start the speech's own task (queued or not: a preemptive reply is queued only once committed)."""
        self._task_group.start_soon(self._produce, speech, work)

    async def _produce(self, speech: Speech, work: SpeechWork) -> None:
        """Produce the speech's audio, then — once it has also left the output buffer, and any tool call it
        started has finished — record in the context what the caller heard."""
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
                        self._fatal_error(exc)
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
        if speech.stop(SpeechState.FAILED) and self._playout.current is not speech:
            self._on_failed(speech)

    def announce(self, speech: Speech) -> None:
        """The speech's first audio went out: ``agent_started_speaking`` (and the turn's metrics)."""
        self._announced.add(speech.id)
        self._bus.emit(
            AgentStartedSpeaking,
            turn_id=speech.turn_id,
            speech_id=speech.id,
            source=speech.source,
            agent=speech.agent,
        )
        timer = self._timers.get(speech.id)
        if timer is not None:
            timer.first_audio_out = self._playout.first_frame_time
            emit_turn_metrics(self._bus, speech.turn_id, timer)

    def remove(self, speech: Speech) -> bool:
        """Take the speech off the floor: it is released and what the caller heard of it is reported (every
        ``agent_started_speaking`` gets its stop). False if it was not queued (any more)."""
        if speech not in self._speeches:
            return False
        self._speeches.remove(speech)
        self._timers.pop(speech.id, None)
        self._changed.set()
        self._changed = anyio.Event()
        speech.release()
        announced = speech.id in self._announced
        self._announced.discard(speech.id)
        if speech.played_seconds > 0 or announced:
            self._bus.emit(
                AgentStoppedSpeaking,
                turn_id=speech.turn_id,
                speech_id=speech.id,
                source=speech.source,
                interrupted=speech.state is SpeechState.INTERRUPTED,
                heard_text=speech.heard_text(),
                text=speech.text,
                played_seconds=round(speech.heard_seconds, 6),
                agent=speech.agent,
            )
        return True

    async def wait_empty(self, timeout: float) -> None:
        """Until every queued speech has left the floor, for at most ``timeout`` seconds."""
        with anyio.move_on_after(timeout):
            while self._speeches:
                await self._changed.wait()
