"""Streaming sentence splitter: LLM text deltas in, complete sentences out, so TTS can start on the first one."""

from __future__ import annotations

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
DEFAULT_MAX_CHARS = 400  # a run of text without a sentence end is cut at a word boundary after this many


class SentenceSplitter:
    """Feed deltas with ``push``; it returns the sentences completed so far. ``flush`` returns the rest.

    A sentence ends at ., !, ? or … (plus closing quotes/brackets) followed by whitespace, or at a line break —
    but not after common abbreviations ("Dr.", "e.g."), single initials ("J.") or inside numbers ("3.5").
    Text that runs on for ``max_chars`` without a sentence end is cut at its last word boundary, so the pending
    text (and TTS latency) stays bounded. Each character is examined a bounded number of times, whatever the
    deltas: the work is linear in the text.
    """

    def __init__(self, min_chars: int = 1, max_chars: int = DEFAULT_MAX_CHARS) -> None:
        if max_chars < max(1, min_chars):
            raise ValueError(f"max_chars ({max_chars}) must be at least min_chars ({min_chars}) and positive")
        self.min_chars = min_chars
        self.max_chars = max_chars
        self._buffer = ""
        self._scanned = 0  # characters of the buffer already examined (none of them ends a sentence)

    def push(self, delta: str) -> list[str]:
        self._buffer += delta
        sentences: list[str] = []
        start = 0
        index = self._scanned
        text = self._buffer
        resume = len(text)
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
                    resume = index  # need the next character to decide: look at this terminator again
                    break
                if text[close].isspace() and not _is_abbreviation(text, start, index):
                    end = close
                index = close - 1
            if end is not None:
                candidate = text[start:end].strip()
                if len(candidate) >= self.min_chars:
                    sentences.append(candidate)
                    start = end
            elif index + 1 - start >= self.max_chars:
                # a run of terminators ("??") moves ``index`` several characters at once: never past the limit
                cut = _last_break(text, start, min(index + 1, start + self.max_chars))
                candidate = text[start:cut].strip()
                if candidate:
                    sentences.append(candidate)
                start = cut
            index += 1
        self._buffer = text[start:]
        self._scanned = max(0, resume - start)
        return sentences

    def flush(self) -> str | None:
        rest = self._buffer.strip()
        self._buffer = ""
        self._scanned = 0
        return rest or None


def _last_break(text: str, start: int, stop: int) -> int:
    """Where to cut text[start:stop] that ran on too long: after its last whitespace, else at ``stop``."""
    position = max(text.rfind(" ", start, stop), text.rfind("\n", start, stop), text.rfind("\t", start, stop))
    return position + 1 if position > start else stop


def _is_abbreviation(text: str, start: int, terminator: int) -> bool:
    """Whether the word ending at ``text[terminator]`` (a terminator) is an abbreviation or an initial."""
    begin = terminator
    while begin > start and not text[begin - 1].isspace():
        begin -= 1
    word = text[begin : terminator + 1].rstrip(".").lower().lstrip(_OPENERS)
    if len(word) == 1 and word.isalpha() and word != "i":
        return True  # an initial: "J. R. R. Tolkien" (but "So do I. You too." ends a sentence)
    return word in _ABBREVIATIONS
