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
# Speech durations come from the VAD to the nearest 20 ms frame (a 0.2 s minimum is met at 190-210 ms): a
# duration within half a frame of the minimum meets it, so the window that confirms speech can also barge in.
DURATION_TOLERANCE = 0.01


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
        words = phrase.split()
        if not words or len(words) > MAX_BACKCHANNEL_WORDS:
            return False
        return phrase in self.backchannels or all(word in self.backchannels for word in words)

    def should_interrupt(self, speech_duration: float, transcript: str) -> bool:
        """Checked on every VAD window of overlapping speech: the cheap tests first."""
        if (
            speech_duration + DURATION_TOLERANCE < self.min_duration
            or len(transcript.split()) < self.min_words
        ):
            return False
        return not self.is_backchannel(transcript)
