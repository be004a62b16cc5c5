"""Caller speech while the agent holds the floor.

At the caller's speech onset an interruptible speech is paused (not cancelled). Then one of three things happens:
* the barge-in policy is met (long enough, enough words, not just "uh-huh") -> the controller interrupts;
* the caller's words turn out to be a backchannel -> output resumes where it stopped, and the words are not a turn;
* no words arrive within ``false_interruption_timeout`` after the caller stops (a cough, a door) -> output
  resumes where it stopped.

Whether output is paused is the playout's state; this class only decides when to pause and resume it.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
from anyio.abc import TaskGroup

from pipeline.floor.playout import Playout
from pipeline.observe.bus import EventBus
from pipeline.observe.events import AgentPaused, AgentResumed, Backchannel
from pipeline.stages.speech import Speech, SpeechState
from turn.barge_in import BargeInPolicy


class CallerOverlap:
    def __init__(
        self,
        *,
        policy: BargeInPolicy,
        false_interruption_timeout: float | None,
        playout: Playout,
        bus: EventBus,
        task_group: TaskGroup,
        forget_caller_turn: Callable[[], None],
    ) -> None:
        self._policy = policy
        self._false_interruption_timeout = false_interruption_timeout
        self._playout = playout
        self._bus = bus
        self._task_group = task_group
        self._forget_caller_turn = forget_caller_turn
        self._words = ""
        self._generation = 0  # invalidates pending resume timers

    def apply(self, policy: BargeInPolicy, false_interruption_timeout: float | None) -> None:
        """New barge-in settings, effective from the next caller speech."""
        self._policy = policy
        self._false_interruption_timeout = false_interruption_timeout

    def caller_started(self, speech: Speech | None) -> None:
        self._words = ""
        self._generation += 1
        if (
            self._false_interruption_timeout is not None
            and speech is not None
            and speech.allow_interruption
            and speech.state is SpeechState.PLAYING
            and self._playout.current is speech
            and self._playout.pause()
        ):
            self._bus.emit(AgentPaused, turn_id=speech.turn_id, speech_id=speech.id)

    def caller_words(self, text: str) -> None:
        self._words = text

    def should_interrupt(self, speech: Speech | None, speech_duration: float) -> bool:
        return (
            speech is not None
            and speech.allow_interruption
            and not speech.state.is_final
            and self._policy.should_interrupt(speech_duration, self._words)
        )

    def caller_stopped(self) -> None:
        if self._playout.paused and self._false_interruption_timeout is not None:
            self._task_group.start_soon(
                self._resume_if_silent, self._generation, self._false_interruption_timeout
            )

    def caller_final(self, text: str) -> bool:
        """A final transcript of the overlapping speech; True when it was a backchannel (not a turn)."""
        if not self._playout.paused or not self._policy.is_backchannel(text):
            return False
        self._report_backchannel(text)
        self._resume("backchannel")
        return True

    def is_backchannel_turn(self, speech: Speech | None, text: str) -> bool:
        """A whole caller "turn" said over agent speech that is only an acknowledgement."""
        holding_floor = speech is not None and speech.state in (SpeechState.PLAYING, SpeechState.GENERATING)
        if not holding_floor or not self._policy.is_backchannel(text):
            return False
        self._report_backchannel(text)
        self._resume("backchannel")
        return True

    def ended(self) -> None:
        """The overlapped speech was interrupted or finished: nothing to resume."""
        self._generation += 1

    def _report_backchannel(self, text: str) -> None:
        speech = self._playout.current if self._playout.paused else None
        self._bus.emit(
            Backchannel,
            turn_id=speech.turn_id if speech else None,
            text=text,
            speech_id=speech.id if speech else None,
        )
        self._forget_caller_turn()

    async def _resume_if_silent(self, generation: int, timeout: float) -> None:
        await anyio.sleep(timeout)
        if generation == self._generation and self._playout.paused and not self._words.strip():
            self._resume("false_interruption")

    def _resume(self, reason: str) -> None:
        speech = self._playout.current
        paused_seconds = self._playout.resume()
        if paused_seconds is None or speech is None:
            return
        self._generation += 1
        self._bus.emit(
            AgentResumed,
            turn_id=speech.turn_id,
            speech_id=speech.id,
            reason=reason,
            paused_seconds=paused_seconds,
        )
