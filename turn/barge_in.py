"""When the caller's speech over the agent counts as a barge-in — and when it is only a backchannel."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DEFAULT_BACKCHANNELS = (
    "uh-huh",
    "uh huh",
    "mm-hmm",
    "mm hmm",
    "mhm",
    "mm",
    "hmm",
    "yeah",
    "yep",
    "yes",
    "right",
    "ok",
    "okay",
    "sure",
    "i see",
    "got it",
    "alright",
    "all right",
)
_WORD = re.compile(r"[a-z']+(?:-[a-z']+)*")
MAX_BACKCHANNEL_WORDS = 3


def normalize(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


@dataclass
class BargeInPolicy:
    min_duration: float = 0.5  # seconds of continuous caller speech
    min_words: int = 0  # transcribed words required as well (0: duration alone decides)
    backchannels: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_BACKCHANNELS))

    def is_backchannel(self, text: str) -> bool:
        """ "uh-huh", "yeah right", "okay okay": only acknowledgements, at most three words."""
        phrase = normalize(text)
        if not phrase or len(phrase.split()) > MAX_BACKCHANNEL_WORDS:
            return False
        if phrase in self.backchannels:
            return True
        return all(word in self.backchannels for word in phrase.split())

    def should_interrupt(self, speech_duration: float, transcript: str) -> bool:
        if transcript and self.is_backchannel(transcript):
            return False
        return speech_duration >= self.min_duration and len(transcript.split()) >= self.min_words
