"""Semantic end of turn: the silence to wait depends on how complete the caller's utterance sounds.

A turn-completion probability comes from the text model over the running transcript (and the agent's last
question), averaged with an audio model's probability (Smart Turn v3 over the caller's last 8 s) when the turn
detector has one for this pause (it is computed off the event loop, see ``turn.detector``). The probability
maps to a silence to wait through one smooth, falling curve (no buckets):

    delay(p) = complete + (incomplete - complete) * S(p),   S(p) = sigmoid(k (m - p)) / sigmoid(k m)

so ``delay(0) = incomplete``, ``delay(1)`` is within a few ms of ``complete``, and the midpoint ``m`` is solved
so that ``delay(0.5) = uncertain`` (cutting a caller off costs more than a slower answer, so a coin flip waits
long). ``STEEPNESS`` was chosen on the blind dev split of ``benchmarks/turn_blind.py`` (never the test split).

With ``adaptive`` timing (eagerness ``auto``) the policy learns from the caller (``CallerPauses``): the long end
stretches to cover this caller's longest mid-turn pauses, and every cut-off (the caller went on right after a
decision) makes it trust "finished" less for the rest of the call.
"""

from __future__ import annotations

import math

from turn.caller_pauses import CallerPauses
from turn.delay_policy import DelayChoice
from turn.eot.protocols import TurnCompletionModel
from turn.presets import TurnTiming

STEEPNESS = 14.0
UNCERTAIN_AT = 0.5


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


def _midpoint(share: float, k: float = STEEPNESS) -> float:
    """The midpoint m with S(0.5) = share (bisection; S(0.5) grows with m)."""
    low, high = -1.0, 2.0
    for _ in range(60):
        m = (low + high) / 2
        if _sigmoid(k * (m - UNCERTAIN_AT)) / _sigmoid(k * m) < share:
            low = m
        else:
            high = m
    return (low + high) / 2


class SemanticPolicy:
    def __init__(self, text_model: TurnCompletionModel, timing: TurnTiming) -> None:
        self.text_model = text_model
        self.timing = timing
        self.caller = CallerPauses()
        span = timing.incomplete_delay - timing.complete_delay
        share = (timing.uncertain_delay - timing.complete_delay) / span if span > 0 else 0.5
        self._midpoint = _midpoint(min(0.99, max(0.01, share)))

    def probability(
        self, transcript: str, agent_last_utterance: str | None, audio_probability: float | None = None
    ) -> float | None:
        if not transcript.strip():
            return None
        probability = self.text_model.predict(transcript, agent_last_utterance)
        if audio_probability is not None:
            probability = (probability + audio_probability) / 2
        return probability

    def choose(
        self, transcript: str, agent_last_utterance: str | None, audio_probability: float | None = None
    ) -> DelayChoice:
        probability = self.probability(transcript, agent_last_utterance, audio_probability)
        if probability is None:
            return DelayChoice(self.timing.uncertain_delay, None, "semantic")
        return DelayChoice(self.delay_for(probability), probability, "semantic")

    def delay_for(self, probability: float) -> float:
        """The silence to wait at this probability: falls smoothly from the incomplete to the complete delay."""
        timing = self.timing
        p = probability
        if timing.adaptive:
            p = self.caller.discounted(p)
        incomplete = self._incomplete_delay()
        k, m = STEEPNESS, self._midpoint
        share = _sigmoid(k * (m - p)) / _sigmoid(k * m)
        return timing.complete_delay + (incomplete - timing.complete_delay) * share

    def observe_pause(self, seconds: float) -> None:
        """The caller paused this long mid-turn, then went on (nothing was decided in the pause)."""
        self.caller.pause(seconds)

    def observe_cut_off(self, seconds: float, probability: float | None) -> None:
        """A decision was taken after ``seconds`` of silence and the caller went on: a false cut-off."""
        self.caller.cut_off(seconds, probability)

    def _incomplete_delay(self) -> float:
        base = self.timing.incomplete_delay
        if not self.timing.adaptive:
            return base
        return self.caller.stretched(base)
