"""Tokens and word classes shared by the text end-of-turn features and the dataset tools."""

from __future__ import annotations

import re

from turn.eot import lexicon as lx

_TOKEN_RE = re.compile(r"[a-z]+(?:'[a-z]+)*|\d+")
_NUMBER_WORDS = (
    frozenset(lx.UNIT_WORDS) | lx.TEEN_WORDS | lx.TENS_WORDS | set(lx.REPEAT_WORDS) | set(lx.SCALE_DIGITS)
)
# Checked in order: the first set holding the token names its class.
_WORD_CLASSES = (
    (lx.FILLERS, "filler"),
    (lx.CONJUNCTIONS, "conj"),
    (lx.YES_NO_WORDS, "yn"),
    (lx.PREPOSITIONS, "prep"),
    (lx.DETERMINERS, "det"),
    (lx.AUXILIARIES, "aux"),
    (lx.SUBJECT_PRONOUNS, "subj"),
)


def tokenize(text: str) -> tuple[str, ...]:
    """Lowercase word and digit-group tokens; punctuation is dropped ("555-0192" -> "555", "0192")."""
    return tuple(_TOKEN_RE.findall(text.lower().replace("\u2019", "'")))


def is_number_token(token: str) -> bool:
    return token.isdigit() or token in _NUMBER_WORDS


def word_class(token: str) -> str:
    if is_number_token(token) and token not in ("one", "oh", "o"):
        return "num"
    for words, name in _WORD_CLASSES:
        if token in words:
            return name
    return "w"


def strip_hesitations(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The tokens without the hesitations at the end ("to um let me see" -> "to")."""
    end = len(tokens)
    while end > 0:
        if tokens[end - 1] in lx.HESITATION_WORDS:
            end -= 1
            continue
        phrase = next((p for p in lx.HESITATION_PHRASES if tokens[max(0, end - len(p)) : end] == p), None)
        if phrase is None:
            break
        end -= len(phrase)
    return tokens[:end]


def cue_form(token: str) -> str:
    """The word a cue list knows: "cell's" -> "cell", "number's" -> "number"."""
    return token[:-2] if token.endswith("'s") and len(token) > 3 else token
