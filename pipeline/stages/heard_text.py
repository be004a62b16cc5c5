"""Which words of an utterance the caller has heard, given how much of its audio has been played.

Word end times come from the TTS provider's character alignment when it gives one; otherwise each segment's
words are spread over that segment's audio in proportion to their length (an estimate, per sentence).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from operator import attrgetter

from providers.tts import Alignment


@dataclass(frozen=True, slots=True)
class TimedWord:
    text: str
    end: float  # seconds from the start of the utterance's audio


class HeardTextTracker:
    def __init__(self) -> None:
        self._words: list[TimedWord] = []  # in order of their end times
        self._cursor = 0.0  # audio received so far, seconds
        self._segment_start = 0.0
        self._segment_aligned = False
        self._pending_chars: list[str] = []
        self._pending_end = 0.0
        self.full_text = ""

    @property
    def audio_seconds(self) -> float:
        return self._cursor

    def add_audio(self, seconds: float, alignment: Alignment | None = None) -> None:
        if alignment is not None and alignment.chars:
            self._segment_aligned = True
            for char, end in zip(alignment.chars, alignment.ends, strict=True):
                self._add_aligned_char(char, self._cursor + end)
        self._cursor += seconds

    def end_segment(self, text: str) -> None:
        """All audio of ``text`` has been added."""
        if self._segment_aligned:
            self._close_word()
        else:
            self._spread_words(text, self._segment_start, self._cursor)
        self.full_text = f"{self.full_text} {text.strip()}".strip()
        self._segment_start = self._cursor
        self._segment_aligned = False

    def heard(self, played_seconds: float) -> str:
        """The words whose audio has been completely played."""
        count = bisect_right(self._words, played_seconds + 1e-9, key=attrgetter("end"))
        return " ".join(word.text for word in self._words[:count])

    def _add_aligned_char(self, char: str, end: float) -> None:
        if char.isspace():
            self._close_word()
            return
        self._pending_chars.append(char)
        self._pending_end = end

    def _close_word(self) -> None:
        if self._pending_chars:
            self._append("".join(self._pending_chars), self._pending_end)
            self._pending_chars.clear()

    def _spread_words(self, text: str, start: float, end: float) -> None:
        words = text.split()
        total = sum(len(word) + 1 for word in words)
        elapsed = 0
        for word in words:
            elapsed += len(word) + 1
            self._append(word, start + (end - start) * elapsed / total)

    def _append(self, text: str, end: float) -> None:
        self._words.append(TimedWord(text, end))
