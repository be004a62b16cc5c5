"""The streaming sentence splitter, fed token by token as an LLM would: where sentences end and where they must
not (abbreviations, initials, decimals), and what is left for ``flush``."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from pipeline.stages.sentences import SentenceSplitter


def by_char(text: str) -> list[str]:
    return list(text)


def by_word(text: str) -> list[str]:
    """LLM-like tokens: each word carries its leading space."""
    return re.findall(r"\s*\S+|\s+$", text)


def by_punct(text: str) -> list[str]:
    """Punctuation as separate tokens (so a terminator often arrives at the very end of a push)."""
    return re.findall(r"\s*\w+|\s*[^\w\s]|\s+$", text)


def whole(text: str) -> list[str]:
    return [text]


CHUNKINGS = [by_char, by_word, by_punct, whole]


def split(
    text: str, chunking: Callable[[str], list[str]], min_chars: int = 1
) -> tuple[list[str], str | None]:
    splitter = SentenceSplitter(min_chars)
    sentences: list[str] = []
    tokens = chunking(text)
    assert "".join(tokens) == text
    for token in tokens:
        sentences += splitter.push(token)
    return sentences, splitter.flush()


CASES = [
    (
        "Hello there. How are you? I'm fine! Thanks.",
        ["Hello there.", "How are you?", "I'm fine!"],
        "Thanks.",
    ),
    ("Really?! Yes!! Sure?", ["Really?!", "Yes!!"], "Sure?"),
    ("Dr. Smith will see you now. Mr. Jones left.", ["Dr. Smith will see you now."], "Mr. Jones left."),
    (
        "Bring fruit, e.g. apples, i.e. something sweet. Ok.",
        ["Bring fruit, e.g. apples, i.e. something sweet."],
        "Ok.",
    ),
    ("Call (Dr. Who) today. Bye", ["Call (Dr. Who) today."], "Bye"),
    ("J. R. R. Tolkien wrote it. Yes", ["J. R. R. Tolkien wrote it."], "Yes"),
    ("It costs $3.50 today. That is 2.5% off.", ["It costs $3.50 today."], "That is 2.5% off."),
    ("Wait... what? Hmm\u2026 ok. Done", ["Wait...", "what?", "Hmm\u2026", "ok."], "Done"),
    ('He said "Hi." Then he left.', ['He said "Hi."'], "Then he left."),
    ("Open it (carefully.) Then wait.", ["Open it (carefully.)"], "Then wait."),
    ("She said \u201cyes.\u201d Then nothing.", ["She said \u201cyes.\u201d"], "Then nothing."),
    ("Line one\nLine two\n\nLine three", ["Line one", "Line two"], "Line three"),
    ("Step one.\nStep two", ["Step one."], "Step two"),
    ("Go to example.com now. Ok.", ["Go to example.com now."], "Ok."),
]


@pytest.mark.parametrize("chunking", CHUNKINGS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("text", "sentences", "rest"), CASES, ids=[c[0][:24] for c in CASES])
def test_split_streamed(
    text: str, sentences: list[str], rest: str, chunking: Callable[[str], list[str]]
) -> None:
    assert split(text, chunking) == (sentences, rest)


def test_a_terminator_waits_for_the_next_character() -> None:
    splitter = SentenceSplitter()
    assert splitter.push("Hello.") == []  # could still be "Hello.com" or "3.5"
    assert splitter.push(" ") == ["Hello."]
    assert splitter.push("Costs $3.") == []
    assert splitter.push("50") == []  # a decimal, not a sentence end
    assert splitter.push("! Next") == ["Costs $3.50!"]
    assert splitter.flush() == "Next"


def test_several_sentences_in_one_push() -> None:
    splitter = SentenceSplitter()
    assert splitter.push("One. Two? Three! Fo") == ["One.", "Two?", "Three!"]
    assert splitter.push("ur.") == []
    assert splitter.flush() == "Four."


def test_flush_returns_rest_once_and_none_when_nothing_left() -> None:
    splitter = SentenceSplitter()
    assert splitter.flush() is None
    splitter.push("   \n ")
    assert splitter.flush() is None
    splitter.push("  trailing words  ")
    assert splitter.flush() == "trailing words"
    assert splitter.flush() is None


def test_min_chars_merges_short_sentences() -> None:
    assert split("Hi. Ok. How are you today? Fine.", by_word, min_chars=10) == (
        ["Hi. Ok. How are you today?"],
        "Fine.",
    )


def test_blank_lines_never_give_empty_sentences() -> None:
    sentences, rest = split("\n\nFirst\n\n\nSecond.\n\n", by_char)
    assert sentences == ["First", "Second."]
    assert rest is None


@pytest.mark.parametrize("chunking", [by_word, whole], ids=lambda f: f.__name__)
def test_abbreviation_after_curly_opening_quote(chunking: Callable[[str], list[str]]) -> None:
    text = "She said \u201cDr. Smith is here.\u201d Then left."
    assert split(text, chunking) == (["She said \u201cDr. Smith is here.\u201d"], "Then left.")


def test_text_without_a_sentence_end_is_cut_at_a_word_boundary() -> None:
    """A runaway LLM stream (no terminator for 40k characters) still reaches TTS in bounded pieces."""
    splitter = SentenceSplitter(max_chars=100)
    words = " ".join(f"w{i}" for i in range(8000))
    out: list[str] = []
    for token in by_word(words):
        out += splitter.push(token)
    rest = splitter.flush()
    assert len(out) > 100
    assert all(len(piece) <= 100 for piece in out)
    assert " ".join([*out, rest or ""]).split() == words.split()  # no word split or lost


def _lines_run_by_push(n_chars: int) -> int:
    import sys
    from types import FrameType

    import pipeline.stages.sentences as module

    lines = 0

    def tracer(frame: FrameType, event: str, arg: object) -> object:
        nonlocal lines
        if frame.f_code.co_filename != module.__file__:
            return None
        if event == "line":
            lines += 1
        return tracer

    splitter = SentenceSplitter(max_chars=10**9)  # only the rescanning is measured, not the cut
    text = ("ab.c" * n_chars)[:n_chars]
    sys.settrace(tracer)
    try:
        for i in range(0, n_chars, 4):
            splitter.push(text[i : i + 4])
    finally:
        sys.settrace(None)
    return lines


def test_work_is_linear_in_the_text() -> None:
    """Each push examines only the new characters (counted in executed lines, not time): doubling the text
    doubles the work instead of quadrupling it."""
    small, large = _lines_run_by_push(2000), _lines_run_by_push(4000)
    assert large < 2.2 * small


def test_a_run_on_cut_never_exceeds_max_chars_even_when_it_lands_on_terminators() -> None:
    # found by hypothesis: a "??" inside a long run without spaces moved the scan past the limit
    splitter = SentenceSplitter(max_chars=40)
    pieces = splitter.push("3" * 39 + "??3")
    rest = splitter.flush()
    assert all(len(piece) <= 40 for piece in pieces)
    assert "".join([*pieces, rest or ""]) == "3" * 39 + "??3"
