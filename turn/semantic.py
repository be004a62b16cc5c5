"""Semantic end of turn: the silence to wait depends on how complete the caller's utterance sounds.

A turn-completion probability comes from the text model over the running transcript (and the agent's last
question), optionally averaged with an audio model (Smart Turn v3) over the caller's last 8 s. The probability
maps to a silence to wait, piecewise linearly through three points:

- at or above ``COMPLETE_ABOVE`` the utterance sounds finished: the short ``complete`` delay;
- at ``UNCERTAIN_AT`` (a coin flip: "we still need napkins" after "what else?") the ``uncertain`` delay, which
  the presets set long (0.8 x incomplete): cutting a caller off costs more than a slower answer;
- at or below ``INCOMPLETE_BELOW`` it sounds unfinished: the long ``incomplete`` delay.

The steep step between ``UNCERTAIN_AT`` and ``COMPLETE_ABOVE`` means "answer quickly only when more likely
finished than not". The points were chosen on the development corpora of ``benchmarks/turn_dev.py``.
With ``adaptive`` timing (eagerness ``auto``), the incomplete delay stretches to cover the longest
mid-sentence pauses this caller has made.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

from turn.delay_policy import DelayChoice
from turn.eot.protocols import AudioTurnCompletionModel, TurnCompletionModel
from turn.presets import TurnTiming

COMPLETE_ABOVE = 0.55
UNCERTAIN_AT = 0.5
INCOMPLETE_BELOW = 0.3
MAX_ADAPTIVE_DELAY = 3.0


class SemanticPolicy:
    def __init__(
        self,
        text_model: TurnCompletionModel,
        timing: TurnTiming,
        *,
        audio_model: AudioTurnCompletionModel | None = None,
        recent_audio: Callable[[], np.ndarray] | None = None,
    ) -> None:
        self.text_model = text_model
        self.timing = timing
        self.audio_model = audio_model
        self._recent_audio = recent_audio
        self._pauses: deque[float] = deque(maxlen=8)

    def probability(self, transcript: str, agent_last_utterance: str | None) -> float | None:
        if not transcript.strip():
            return None
        probability = self.text_model.predict(transcript, agent_last_utterance)
        if self.audio_model is not None and self._recent_audio is not None:
            audio = self._recent_audio()
            if audio.size:
                probability = (probability + self.audio_model.predict(audio)) / 2
        return probability

    def choose(self, transcript: str, agent_last_utterance: str | None) -> DelayChoice:
        probability = self.probability(transcript, agent_last_utterance)
        if probability is None:
            return DelayChoice(self.timing.uncertain_delay, None, "semantic")
        return DelayChoice(self.delay_for(probability), probability, "semantic")

    def delay_for(self, probability: float) -> float:
        timing = self.timing
        incomplete = self._incomplete_delay()
        if probability >= COMPLETE_ABOVE:
            return timing.complete_delay
        if probability <= INCOMPLETE_BELOW:
            return incomplete
        if probability >= UNCERTAIN_AT:
            share = (probability - UNCERTAIN_AT) / (COMPLETE_ABOVE - UNCERTAIN_AT)
            return timing.uncertain_delay + share * (timing.complete_delay - timing.uncertain_delay)
        share = (probability - INCOMPLETE_BELOW) / (UNCERTAIN_AT - INCOMPLETE_BELOW)
        return incomplete + share * (timing.uncertain_delay - incomplete)

    def observe_pause(self, seconds: float) -> None:
        """The caller paused this long mid-turn, then went on."""
        self._pauses.append(seconds)

    def _incomplete_delay(self) -> float:
        base = self.timing.incomplete_delay
        if not self.timing.adaptive or not self._pauses:
            return base
        return min(MAX_ADAPTIVE_DELAY, max(base, 1.25 * max(self._pauses)))
