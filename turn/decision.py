"""What the turn detector hands to the interruption controller when the user's turn is over."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TurnDecision:
    transcript: str
    reason: str  # "silence", "semantic", "stt" (provider end-of-turn), "stt_timeout"
    probability: float | None  # turn-completion probability when a model judged it
    delay: float  # the silence required after the end of speech
    user_stopped: float  # clock time the user's speech ended
    silence_met: float  # clock time the silence requirement was met
    decided: float  # clock time of this decision (final transcript in hand)
