"""Flux turns -> transcripts, and the answer to ``finalize()`` on a model that has no Finalize.

Flux decides itself when the caller's turn is over (``EndOfTurn``); that event becomes the final transcript with
``TurnSignal.END_OF_TURN``, which the turn detector acts on at once. ``finalize()`` (our VAD heard the caller
stop) does not cut Flux short: the next ``EndOfTurn`` is the answer and carries ``from_finalize``. Only if Flux
has not ended the turn ``force_after`` seconds later is ``ForceEndTurn`` sent; if even that goes unanswered for
``give_up_after`` seconds, the turn is ended here with the words heard so far (and Flux's late ``EndOfTurn``
for it is dropped). If Flux ended the turn just before (within ``RECENT_END`` of audio), ``finalize()`` is
answered at once with an empty final; if no turn has started, the empty answer waits ``force_after`` for Flux
to catch up with the audio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

from pipeline.base.transcripts import WordTiming
from providers.deepgram.ledger import Control
from providers.stt import Transcript, TurnSignal

RECENT_END = 1.0  # audio seconds: an EndOfTurn this close before finalize() already answered it

_SIGNALS = {
    "StartOfTurn": TurnSignal.START_OF_TURN,
    "EagerEndOfTurn": TurnSignal.EAGER_END_OF_TURN,
    "TurnResumed": TurnSignal.TURN_RESUMED,
    "EndOfTurn": TurnSignal.END_OF_TURN,
}


class FluxTurn(Enum):
    IDLE = "idle"  # between turns (as far as Flux has told us)
    IN_TURN = "in_turn"  # StartOfTurn seen, EndOfTurn not yet


class Answer(Enum):
    """The answer owed to ``finalize()``."""

    NONE = "none"  # nothing owed
    OWED = "owed"  # the next EndOfTurn answers; the caller spoke again, so no ForceEndTurn is planned
    WAITING = "waiting"  # owed; ForceEndTurn at ``force_at`` unless Flux ends the turn first
    FORCED = "forced"  # ForceEndTurn queued; the turn is ended here at ``give_up_at``


@dataclass(frozen=True)
class TurnEvent:
    event: str  # Update | StartOfTurn | EagerEndOfTurn | TurnResumed | EndOfTurn (others are ignored)
    turn_index: int
    text: str
    words: tuple[WordTiming, ...]
    end_of_turn_probability: float | None
    window_end: float  # connection seconds transcribed


@dataclass
class TurnOutput:
    transcripts: list[Transcript] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)
    commit_until: float | None = None


class FluxTurnTracker:
    def __init__(self, *, force_after: float, give_up_after: float) -> None:
        self.force_after = force_after
        self.give_up_after = give_up_after
        self.turn = FluxTurn.IDLE
        self.answer = Answer.NONE
        self._turn_index = 0
        self._text = ""  # the current turn's words so far
        self._words: tuple[WordTiming, ...] = ()
        self._abandoned: int | None = None  # a turn ended here; Flux's own EndOfTurn for it is dropped
        self._force_at = 0.0
        self._give_up_at = 0.0
        self._force_sent = False
        self._ended_at: float | None = None  # connection time at Flux's last EndOfTurn
        self._requested_until = 0.0  # connection time at the end of the audio when finalize() was called

    @property
    def deadline(self) -> float | None:
        match self.answer:
            case Answer.WAITING:
                return self._force_at
            case Answer.FORCED:
                return self._give_up_at
            case Answer.NONE | Answer.OWED:
                return None

    def requested(self, now: float, audio_until: float) -> TurnOutput:
        """``finalize()``; ``audio_until`` is the connection time at the end of the audio queued so far."""
        if (
            self.turn is FluxTurn.IDLE
            and self._ended_at is not None
            and audio_until - self._ended_at <= RECENT_END
        ):
            self.answer = Answer.NONE  # Flux already ended the turn this finalize() is about
            return TurnOutput([Transcript("", is_final=True, from_finalize=True)])
        if self.turn is FluxTurn.IN_TURN and self.force_after <= 0:
            return self._force(now)
        # In a turn: wait for Flux's EndOfTurn. No turn yet: Flux may still be catching up with the audio;
        # if no turn starts by the deadline, the answer is empty.
        self.answer = Answer.WAITING
        self._force_at = now + self.force_after
        self._requested_until = audio_until
        return TurnOutput()

    def on_event(self, event: TurnEvent) -> TurnOutput:
        if event.turn_index == self._abandoned:
            if event.event == "EndOfTurn":
                self._abandoned = None
            return TurnOutput(commit_until=event.window_end if event.event == "EndOfTurn" else None)
        signal = _SIGNALS.get(event.event)
        if event.event != "Update" and signal is None:
            return TurnOutput()
        if signal is None and self.turn is FluxTurn.IDLE:
            return TurnOutput()  # an Update between turns
        self._turn_index = event.turn_index
        self._text, self._words = event.text, event.words
        if signal is TurnSignal.END_OF_TURN:
            return self._end_of_turn(event)
        self.turn = FluxTurn.IN_TURN
        resumed = signal in (TurnSignal.START_OF_TURN, TurnSignal.TURN_RESUMED)
        if resumed and self.answer is Answer.WAITING and event.window_end > self._requested_until:
            self.answer = Answer.OWED  # speech after finalize(): never force the turn closed on the caller
        interim = Transcript(
            event.text,
            is_final=False,
            words=event.words,
            turn_signal=signal,
            end_of_turn_probability=event.end_of_turn_probability,
        )
        return TurnOutput([interim])

    def expire(self, now: float) -> TurnOutput:
        deadline = self.deadline
        if deadline is None or now < deadline:
            return TurnOutput()
        if self.answer is Answer.WAITING:
            if self.turn is FluxTurn.IN_TURN:
                return self._force(now)
            self.answer = Answer.NONE
            return TurnOutput([Transcript("", is_final=True, from_finalize=True)])
        # FORCED and still no EndOfTurn: end the turn here with what was heard.
        self._abandoned = self._turn_index
        ended = self._final(self._text, self._words, None, from_finalize=True)
        self.turn, self.answer = FluxTurn.IDLE, Answer.NONE
        self._text, self._words = "", ()
        return TurnOutput([ended], commit_until=math.inf)

    def reconnected(self, now: float) -> list[Control]:
        """A new socket restarts Flux's turns; the replayed audio will bring this turn back."""
        self.turn = FluxTurn.IDLE
        self._abandoned = None
        self._ended_at = None
        self._text, self._words = "", ()
        if self.answer is Answer.WAITING:
            self._force_at = now + self.force_after
            self._requested_until = math.inf  # the replay restarts the clock: any turn now is the owed one
        if self.answer is Answer.FORCED:
            self._give_up_at = now + self.give_up_after
            if self._force_sent:  # else the queued one goes out after the replay
                self._force_sent = False
                return [Control.FORCE_END_TURN]
        return []

    def force_sent(self) -> None:
        self._force_sent = self.answer is Answer.FORCED

    def _force(self, now: float) -> TurnOutput:
        self.answer = Answer.FORCED
        self._force_sent = False
        self._give_up_at = now + self.give_up_after
        return TurnOutput(controls=[Control.FORCE_END_TURN])

    def _end_of_turn(self, event: TurnEvent) -> TurnOutput:
        owed = self.answer is not Answer.NONE
        self._ended_at = event.window_end
        final = self._final(event.text, event.words, event.end_of_turn_probability, from_finalize=owed)
        self.turn, self.answer = FluxTurn.IDLE, Answer.NONE
        self._text, self._words = "", ()
        return TurnOutput([final], commit_until=event.window_end)

    @staticmethod
    def _final(
        text: str, words: tuple[WordTiming, ...], probability: float | None, *, from_finalize: bool
    ) -> Transcript:
        return Transcript(
            text,
            is_final=True,
            words=words,
            from_finalize=from_finalize,
            turn_signal=TurnSignal.END_OF_TURN,
            end_of_turn_probability=probability,
        )
