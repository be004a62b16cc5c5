"""Streaming sentence splitter: LLM text deltas in, complete sentences out, so TTS can start on the first one."""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "approx",
        "apt",
        "ave",
        "blvd",
        "fig",
        "est",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
    ]
)
_TERMINATORS = ".!?…"
_CLOSERS = "\"')]}»\u201d\u2019"  # quotes and brackets that close a sentence
_OPENERS = "(\"'[{\u201c\u2018\u00ab"  # quotes and brackets that may open a word
_WORD_BEFORE = re.compile(r"(\S+)$")


class SentenceSplitter:
    """Feed deltas with ``push``; it returns the sentences completed so far. ``flush`` returns the rest.

    A sentence ends at ., !, ? or … (plus closing quotes/brackets) followed by whitespace, or at a line break —
    but not after common abbreviations ("Dr.", "e.g."), single initials ("J.") or inside numbers ("3.5").
    """

    def __init__(self, min_chars: int = 1) -> None:
        self.min_chars = min_chars
        self._buffer = ""

    def push(self, delta: str) -> list[str]:
        self._buffer += delta
        sentences: list[str] = []
        start = 0
        index = 0
        text = self._buffer
        while index < len(text):
            char = text[index]
            end = None
            if char == "\n":
                end = index + 1
            elif char in _TERMINATORS:
                close = index + 1
                while close < len(text) and (text[close] in _TERMINATORS or text[close] in _CLOSERS):
                    close += 1
                if close >= len(text):
                    break  # need the next character to decide
                if text[close].isspace() and not self._is_abbreviation(text[start : index + 1]):
                    end = close
                index = close - 1
            if end is not None:
                candidate = text[start:end].strip()
                if len(candidate) >= self.min_chars:
                    sentences.append(candidate)
                    start = end
            index += 1
        self._buffer = text[start:]
        return sentences

    def flush(self) -> str | None:
        rest = self._buffer.strip()
        self._buffer = ""
        return rest or None

    @staticmethod
    def _is_abbreviation(sentence_so_far: str) -> bool:
        match = _WORD_BEFORE.search(sentence_so_far)
        if match is None:
            return False
        word = match.group(1).rstrip(".").lower().lstrip(_OPENERS)
        if len(word) == 1 and word.isalpha() and word != "i":
            return True  # an initial: "J. R. R. Tolkien" (but "So do I. You too." ends a sentence)
        return word in _ABBREVIATIONS
