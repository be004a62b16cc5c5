"""What a speech-to-text fake "recognizes": a queue of scripted utterances with a default."""

from __future__ import annotations

import string
from collections import deque
from dataclasses import dataclass

_EDGE_PUNCTUATION = string.punctuation.replace("'", "")


@dataclass(frozen=True)
class ScriptedWords:
    """An utterance as written (`tokens`, e.g. "Hello," "there.") and as bare words ("hello", "there")."""

    tokens: tuple[str, ...]
    words: tuple[str, ...]

    @classmethod
    def from_text(cls, text: str) -> ScriptedWords:
        tokens = tuple(text.split())
        return cls(tokens, tuple(token.strip(_EDGE_PUNCTUATION).lower() for token in tokens))

    def __len__(self) -> int:
        return len(self.tokens)

    def text(self, count: int | None = None, punctuated: bool = True) -> str:
        """The first `count` tokens (all by default) joined by spaces, punctuated or as bare words."""
        chosen = self.tokens if punctuated else self.words
        return " ".join(chosen[: len(chosen) if count is None else count])

    def revealed(self, elapsed: float, word_seconds: float) -> int:
        """How many words an interim shows after `elapsed` seconds of speech: one per `word_seconds`, at least one."""
        return min(len(self), max(1, int(elapsed / word_seconds)))


class TranscriptScript:
    """Utterances a fake will recognize, in order; `default` once the queue is empty."""

    def __init__(self, default: str) -> None:
        self.default = default
        self._queue: deque[str] = deque()

    def push(self, *texts: str) -> None:
        self._queue.extend(texts)

    def next(self) -> ScriptedWords:
        return ScriptedWords.from_text(self._queue.popleft() if self._queue else self.default)

    def clear(self) -> None:
        self._queue.clear()
