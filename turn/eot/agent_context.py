"""What the agent's last utterance asks for, and which kind of number a transcript's words point to."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from turn.eot import lexicon as lx
from turn.eot.lexicon import NumberContext, QuestionType
from turn.eot.tokens import cue_form, tokenize

_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.?!])\s+")


@dataclass(frozen=True, slots=True)
class AgentContext:
    """What the agent's last utterance asked for."""

    question_type: QuestionType
    number_context: NumberContext


NO_AGENT = AgentContext(QuestionType.NONE, NumberContext.NONE)


def number_context_of(tokens: tuple[str, ...], most_recent_first: bool) -> NumberContext | None:
    """The context cued by the words; None for a bare "number" whose kind the words leave open."""
    forms = tuple(cue_form(t) for t in tokens)
    for first, second in itertools.pairwise(forms):
        if (first, second) in lx.NUMBER_BIGRAM_CUES:
            return lx.NUMBER_BIGRAM_CUES[(first, second)]
        if first in lx.CODE_NOUNS and second in lx.CODE_NOUN_FOLLOWERS:
            return NumberContext.CODE
        if first in lx.PHONE_VERBS and second in lx.PHONE_VERB_OBJECTS:
            return NumberContext.PHONE
        if first in lx.NON_PLACE_ADDRESS and second == "address":
            return NumberContext.NONE
    positions = range(len(forms) - 1, -1, -1) if most_recent_first else range(len(forms))
    for i in positions:
        token = forms[i]
        if token == "number":  # "card number" -> card; a bare "my number" is settled by the agent or phone
            before = forms[i - 1] if i > 0 else ""
            return lx.NUMBER_CUES.get(before)
        if token in lx.NUMBER_CUES:
            return lx.NUMBER_CUES[token]
    return NumberContext.NONE


def _asks_for_place(tokens: tuple[str, ...]) -> bool:
    """ "Where ...?" or a postal "address" - not an "email address"."""
    if "where" in tokens:
        return True
    return any(
        token == "address" and (i == 0 or tokens[i - 1] not in lx.NON_PLACE_ADDRESS)
        for i, token in enumerate(tokens)
    )


def _asks_for_items(tokens: tuple[str, ...]) -> bool:
    words = set(tokens)
    listing = bool(words & lx.ITEMS_QUESTION_CUES) or tokens[:4] in (
        ("what", "would", "you", "like"),
        ("what", "do", "you", "need"),
    )
    return listing and bool(words & lx.ITEMS_QUESTION_WORDS)


def question_type(tokens: tuple[str, ...], ends_with_question_mark: bool) -> QuestionType:
    if not tokens:
        return QuestionType.STATEMENT
    first = tokens[0]
    if _asks_for_items(tokens):
        return QuestionType.ITEMS
    is_request = first in lx.QUESTION_AUX_STARTS and any(t in lx.REQUEST_VERBS for t in tokens[1:4])
    if first in lx.QUESTION_AUX_STARTS and not is_request:
        return QuestionType.CHOICE if "or" in tokens else QuestionType.YES_NO
    words = set(tokens)
    if words & lx.SPELLING_QUESTION_CUES:
        return QuestionType.SPELLING
    if words & lx.NAME_QUESTION_CUES:
        return QuestionType.NAME
    if _asks_for_place(tokens):
        return QuestionType.PLACE
    if words & lx.NUMBER_QUESTION_CUES:
        return QuestionType.NUMBER
    if words & lx.TIME_QUESTION_CUES:
        return QuestionType.TIME
    if first in lx.WH_WORDS or first in lx.OPEN_PROMPTS or is_request:
        return QuestionType.OPEN
    if ends_with_question_mark:
        return QuestionType.YES_NO if tokens[-1] in lx.TAG_QUESTIONS else QuestionType.OPEN
    return QuestionType.STATEMENT


@lru_cache(maxsize=512)
def analyze_agent(agent_last_utterance: str | None) -> AgentContext:
    """Classify the agent's last utterance; the question in it (if any) is what the caller is answering."""
    if agent_last_utterance is None or not agent_last_utterance.strip():
        return NO_AGENT
    sentences = [s for s in _SENTENCE_SPLIT_RE.split(agent_last_utterance.strip()) if s]
    questions = [s for s in sentences if s.rstrip().endswith("?")]
    sentence = questions[-1] if questions else sentences[-1]
    tokens = tokenize(sentence)
    context = number_context_of(tokens, most_recent_first=False)
    if context is NumberContext.NONE and _asks_for_place(tokens):
        context = NumberContext.ADDRESS
    return AgentContext(
        question_type(tokens, bool(questions)), NumberContext.PHONE if context is None else context
    )
