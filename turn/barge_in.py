"""When the caller's speech over the agent counts as a barge-in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class BargeInPolicy:
    min_duration: float = 0.5  # seconds of continuous caller speech
    min_words: int = 0  # transcribed words required as well (0: duration alone decides)

    def should_interrupt(self, speech_duration: float, words: int) -> bool:
        return speech_duration >= self.min_duration and words >= self.min_words
