"""Preemptive generation: a reply started on the caller's final transcript before the end of turn is decided.

The controller reports each final transcript of an undecided turn (``on_final``), the caller speaking again
(``caller_continued``) and the decision (``take``). Only one reply is held at a time. Its output gate keeps
everything back (see ``OutputGate``); at the decision it is committed — when the turn's words and the context are
exactly what it was written for — or discarded, and a discarded reply is never heard nor kept in the context.
With ``mode: budget`` the completion tokens of discarded replies are capped per session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Literal

import anyio

from pipeline.observe.bus import EventBus
from pipeline.observe.events import (
    AgentTranscriptDelta,
    PreemptiveCommitted,
    PreemptiveDiscarded,
    PreemptiveStarted,
    SpeechSource,
)
from pipeline.observe.metrics import TurnTimer
from pipeline.settings import PreemptiveSettings
from pipeline.stages.context import ChatContext
from pipeline.stages.output_gate import OutputGate
from pipeline.stages.speech import Speech, SpeechState
from providers.llm import ChatMessage, Role

DiscardReason = Literal[
    "caller_continued", "transcript_changed", "context_changed", "failed", "session_ended"
]
StartReply = Callable[[Speech, tuple[ChatMessage, ...], TurnTimer], None]


class PreemptionPhase(Enum):
    """idle -> holding (a reply is generating, held) -> idle (committed or discarded)."""

    IDLE = "idle"
    HOLDING = "holding"


@dataclass
class _Held:
    speech: Speech
    transcript: str
    messages: tuple[ChatMessage, ...]  # exactly what the LLM was asked
    timer: TurnTimer  # its stamps; the decision's are filled in at the commit
    started: float


@dataclass
class _Tally:
    started: int = 0
    discarded: int = 0
    wasted_tokens: int = 0


@dataclass(frozen=True)
class Committed:
    speech: Speech
    timer: TurnTimer


class PreemptiveGenerator:
    def __init__(
        self, settings: PreemptiveSettings, *, bus: EventBus, context: ChatContext, start: StartReply
    ) -> None:
        self._settings = settings
        self._bus = bus
        self._context = context
        self._start = start
        self.phase = PreemptionPhase.IDLE
        self._held: _Held | None = None
        self._tally = _Tally()  # this turn's
        self.wasted_tokens = 0  # the session's

    def apply(self, settings: PreemptiveSettings) -> None:
        """New settings, effective from the next final transcript (a held reply keeps its own limits)."""
        self._settings = settings

    @property
    def remaining_budget(self) -> int | None:
        """Tokens discarded replies may still waste (None: no cap)."""
        if self._settings.mode != "budget":
            return None
        return max(0, self._settings.max_wasted_tokens - self.wasted_tokens)

    # --- controller signals -----------------------------------------------------------------------------------

    def on_final(self, turn_id: int, transcript: str) -> None:
        """A final transcript of the undecided turn ``turn_id``; ``transcript`` is the whole turn so far."""
        if self._held is not None:
            if self._held.transcript == transcript and not self._held.speech.state.is_final:
                return
            self._discard("transcript_changed")
        budget = self.remaining_budget
        if self._settings.mode == "off" or budget == 0 or not transcript:
            return
        messages = (*self._context.for_llm(), ChatMessage(Role.USER, transcript))
        gate = OutputGate(
            held=True, token_limit=budget, synthesize_first_sentence=self._settings.speculative_tts
        )
        speech = Speech(SpeechSource.REPLY, turn_id=turn_id, gate=gate)
        timer = TurnTimer(user_stopped=0.0)  # the decision's stamps come at the commit
        self._held = _Held(speech, transcript, messages, timer, anyio.current_time())
        self.phase = PreemptionPhase.HOLDING
        self._tally.started += 1
        self._bus.emit(PreemptiveStarted, turn_id=turn_id, speech_id=speech.id, transcript=transcript)
        self._start(speech, messages, timer)

    def caller_continued(self) -> None:
        """The caller speaks again: whatever they add changes the turn."""
        if self._held is not None:
            self._discard("caller_continued")

    def end(self) -> None:
        if self._held is not None:
            self._discard("session_ended")

    def take(self, transcript: str, timer: TurnTimer) -> Committed | None:
        """The turn was decided with ``transcript`` (not yet in the context) and ``timer``'s stamps: the held reply
        if it fits, opened and ready to queue; else None (anything held is discarded). The turn's tally goes into
        the returned timer (or ``timer``)."""
        held, committed = self._held, None
        if held is not None:
            expected = (*self._context.for_llm(), ChatMessage(Role.USER, transcript))
            if held.speech.state.is_final:
                self._discard("failed")
            elif held.transcript != transcript:
                self._discard("transcript_changed")
            elif held.messages != expected:
                self._discard("context_changed")
            else:
                committed = self._commit(held, timer)
        target = committed.timer if committed is not None else timer
        tally, self._tally = self._tally, _Tally()
        target.preemptive_started = tally.started
        target.preemptive_discarded = tally.discarded
        target.preemptive_wasted_tokens = tally.wasted_tokens
        target.preemptive_committed = committed is not None
        return committed

    # --- internals --------------------------------------------------------------------------------------------

    def _commit(self, held: _Held, decision: TurnTimer) -> Committed:
        self._held, self.phase = None, PreemptionPhase.IDLE
        speech = held.speech
        timer = held.timer  # the engine keeps stamping this object; the decision's stamps join it now
        timer.user_stopped = decision.user_stopped
        timer.silence_met = decision.silence_met
        timer.decided = decision.decided
        self._bus.emit(
            PreemptiveCommitted,
            turn_id=speech.turn_id,
            speech_id=speech.id,
            head_start=anyio.current_time() - held.started,
        )
        for text in speech.gate.open():
            self._bus.emit(AgentTranscriptDelta, turn_id=speech.turn_id, speech_id=speech.id, text=text)
        return Committed(speech, timer)

    def _discard(self, reason: DiscardReason) -> None:
        held = self._held
        assert held is not None
        self._held, self.phase = None, PreemptionPhase.IDLE
        speech = held.speech
        if not speech.state.is_final:
            speech.stop(SpeechState.DISCARDED)
        speech.release()  # it never reached the playout
        wasted = speech.gate.tokens
        self.wasted_tokens += wasted
        self._tally.discarded += 1
        self._tally.wasted_tokens += wasted
        self._bus.emit(
            PreemptiveDiscarded,
            turn_id=speech.turn_id,
            speech_id=speech.id,
            reason=reason,
            wasted_tokens=wasted,
        )
