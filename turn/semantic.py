"""Semantic end of turn: the silence to wait depends on how complete the caller's utterance sounds.

A turn-completion probability comes from the text model over the running transcript (and the agent's last
question), optionally averaged with an audio model (Smart Turn v3) over the caller's last 8 s. High probability
-> the short ``complete`` delay; low -> the long ``incomplete`` delay; in between, interpolated through the
``uncertain`` delay. With ``adaptive`` timing (eagerness ``auto``), the incomplete delay stretches to cover the
longest mid-sentence pauses this caller has made.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

from turn.delay_policy import DelayChoice
from turn.eot.protocols import AudioTurnCompletionModel, TurnCompletionModel
from turn.presets import TurnTiming

COMPLETE_ABOVE = 0.8
INCOMPLETE_BELOW = 0.2
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
        middle = (COMPLETE_ABOVE + INCOMPLETE_BELOW) / 2
        if probability >= middle:
            share = (probability - middle) / (COMPLETE_ABOVE - middle)
            return timing.uncertain_delay + share * (timing.complete_delay - timing.uncertain_delay)
        share = (probability - INCOMPLETE_BELOW) / (middle - INCOMPLETE_BELOW)
        return incomplete + share * (timing.uncertain_delay - incomplete)

    def observe_pause(self, seconds: float) -> None:
        """The caller paused this long mid-turn, then went on."""
        self._pauses.append(seconds)

    def _incomplete_delay(self) -> float:
        base = self.timing.incomplete_delay
        if not self.timing.adaptive or not self._pauses:
            return base
        return min(MAX_ADAPTIVE_DELAY, max(base, 1.25 * max(self._pauses)))
