"""Text -> hashed sparse features for the end-of-turn classifier.

Shared by training and inference, so the two can never drift apart. Every feature is a short string
("w1=the", "ctx|numstat=phone|short", ...) hashed with CRC-32 into ``N_BUCKETS`` buckets; all values are 1.
Python's ``hash()`` is salted per process, so it must never be used here.
"""

from __future__ import annotations

import itertools
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from turn.eot import lexicon as lx
from turn.eot.lexicon import NumberContext, QuestionType

FEATURE_VERSION = 1
N_BUCKETS = 1 << 18

_TOKEN_RE = re.compile(r"[a-z]+(?:'[a-z]+)*|\d+")
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.?!])\s+")
_FINAL_PUNCT = {
    ".": ".",
    "?": "?",
    "!": "!",
    ",": ",",
    ";": ",",
    ":": ",",
    "-": "-",
    "\u2014": "-",
    "\u2013": "-",
}
_BOW_WINDOW = 6


@dataclass(frozen=True, slots=True)
class Utterance:
    """A transcript reduced to lowercase word/digit tokens plus the punctuation cues we keep."""

    tokens: tuple[str, ...]
    final_punct: str  # "", ".", "?", "!", ",", "-" or "..." (ellipsis)
    comma_count: int


@dataclass(frozen=True, slots=True)
class AgentContext:
    """What the agent's last utterance asked for."""

    question_type: QuestionType
    number_context: NumberContext


NO_AGENT = AgentContext(QuestionType.NONE, NumberContext.NONE)


def tokenize(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN_RE.findall(text.lower().replace("\u2019", "'")))


def normalize(text: str) -> Utterance:
    stripped = text.strip().strip("\"'")
    if stripped.endswith(("...", "\u2026")):
        punct = "..."
    else:
        punct = _FINAL_PUNCT.get(stripped[-1:], "") if stripped else ""
    return Utterance(tokenize(stripped), punct, stripped.count(","))


def _is_number_token(token: str) -> bool:
    return (
        token.isdigit()
        or token in lx.UNIT_WORDS
        or token in lx.TEEN_WORDS
        or token in lx.TENS_WORDS
        or token in lx.REPEAT_WORDS
        or token in lx.SCALE_DIGITS
    )


def trailing_number_run(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The maximal run of digit groups / number words at the end of the transcript."""
    start = len(tokens)
    while start > 0 and _is_number_token(tokens[start - 1]):
        start -= 1
    return tokens[start:]


def count_digits(run: tuple[str, ...]) -> int:
    """How many digits a spoken or written number run stands for ("five fifty five" -> 3, "double 7" -> 2)."""
    count = 0
    repeat = 1
    after_tens = False
    for token in run:
        if token in lx.REPEAT_WORDS:
            repeat = lx.REPEAT_WORDS[token]
            continue
        if token.isdigit():
            count += len(token) * repeat
        elif token in lx.UNIT_WORDS:
            count += 0 if after_tens else repeat
        elif token in lx.TEEN_WORDS or token in lx.TENS_WORDS:
            count += 2
        else:
            count += lx.SCALE_DIGITS.get(token, 0)
        after_tens = token in lx.TENS_WORDS
        repeat = 1
    return count


def _number_context_of(tokens: tuple[str, ...], most_recent_first: bool) -> NumberContext | None:
    """The context cued by the words; None for a bare "number" whose kind the words leave open."""
    for first, second in itertools.pairwise(tokens):
        if (first, second) in lx.NUMBER_BIGRAM_CUES:
            return lx.NUMBER_BIGRAM_CUES[(first, second)]
    positions = range(len(tokens) - 1, -1, -1) if most_recent_first else range(len(tokens))
    for i in positions:
        token = tokens[i]
        if token == "number":  # "card number" -> card; a bare "my number" is settled by the agent or phone
            before = tokens[i - 1] if i > 0 else ""
            return lx.NUMBER_CUES.get(before)
        if token in lx.NUMBER_CUES:
            return lx.NUMBER_CUES[token]
    return NumberContext.NONE


def _question_type(tokens: tuple[str, ...], ends_with_question_mark: bool) -> QuestionType:
    if not tokens:
        return QuestionType.STATEMENT
    first = tokens[0]
    is_request = first in lx.QUESTION_AUX_STARTS and any(t in lx.REQUEST_VERBS for t in tokens[1:4])
    if first in lx.QUESTION_AUX_STARTS and not is_request:
        return QuestionType.CHOICE if "or" in tokens else QuestionType.YES_NO
    words = set(tokens)
    if words & lx.NAME_QUESTION_CUES:
        return QuestionType.NAME
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
    context = _number_context_of(tokens, most_recent_first=False)
    return AgentContext(
        _question_type(tokens, bool(questions)), NumberContext.PHONE if context is None else context
    )


_DISCOURSE_WORDS = lx.YES_NO_WORDS | lx.FILLERS | {"actually", "hi", "hello", "sorry", "so", "oh", "and"}


def _clause_start(tokens: tuple[str, ...]) -> str:
    """How the utterance opens once "yes", "um", "actually"... are skipped: "wh", "aux" (yes/no question),
    "other" or "none". "What city are you calling from" is finished although it ends in a preposition;
    "We're coming from" is not.
    """
    for token in tokens[:4]:
        if token in _DISCOURSE_WORDS:
            continue
        if token in lx.WH_WORDS:
            return "wh"
        return "aux" if token in lx.QUESTION_AUX_STARTS else "other"
    return "none"


def word_class(token: str) -> str:
    if _is_number_token(token) and token not in ("one", "oh", "o"):
        return "num"
    if token in lx.FILLERS:
        return "filler"
    if token in lx.CONJUNCTIONS:
        return "conj"
    if token in lx.YES_NO_WORDS:
        return "yn"
    if token in lx.PREPOSITIONS:
        return "prep"
    if token in lx.DETERMINERS:
        return "det"
    if token in lx.AUXILIARIES:
        return "aux"
    if token in lx.SUBJECT_PRONOUNS:
        return "subj"
    return "w"


def _length_bucket(n: int) -> str:
    for limit, name in (
        (0, "0"),
        (1, "1"),
        (2, "2"),
        (3, "3"),
        (4, "4"),
        (6, "5-6"),
        (9, "7-9"),
        (14, "10-14"),
    ):
        if n <= limit:
            return name
    return "15+"


def _number_status(context: NumberContext, digits: int) -> str:
    expected = lx.EXPECTED_DIGITS.get(context)
    if expected is None:
        return "free"
    if digits in expected:
        return "match"
    return "short" if digits < min(expected) else "long"


def _number_features(tokens: tuple[str, ...], agent: AgentContext, qt: str) -> list[str]:
    run = trailing_number_run(tokens)
    if not run:
        return []
    context = _number_context_of(tokens[: len(tokens) - len(run)], most_recent_first=True)
    if context is None:
        has_agent_context = agent.number_context is not NumberContext.NONE
        context = agent.number_context if has_agent_context else NumberContext.PHONE
    elif context is NumberContext.NONE:
        context = agent.number_context
    digits = count_digits(run)
    status = _number_status(context, digits)
    before = tokens[-len(run) - 1] if len(tokens) > len(run) else "<s>"
    ctx = context.value
    return [
        f"nd={min(digits, 17)}",
        f"ctx={ctx}",
        f"ctx|nd={ctx}|{min(digits, 17)}",
        f"numstat={status}",
        f"ctx|numstat={ctx}|{status}",
        f"qt|numstat={qt}|{status}",
        f"prenum={before}",
        f"prenum|numstat={before}|{status}",
        f"numwords={'digits' if run[-1].isdigit() else 'words'}|{status}",
    ]


def extract_features(transcript: str, agent_last_utterance: str | None = None) -> list[str]:
    """All feature strings for one (transcript, agent question) pair."""
    utt = normalize(transcript)
    agent = analyze_agent(agent_last_utterance)
    toks = utt.tokens
    qt = agent.question_type.value
    punct = utt.final_punct
    padded = ("<s>", "<s>", "<s>", *toks)
    w3, w2, w1 = padded[-3], padded[-2], padded[-1]
    c3, c2, c1 = word_class(w3), word_class(w2), word_class(w1)
    nwb = _length_bucket(len(toks))
    first = toks[0] if toks else "<s>"
    feats = [
        "bias",
        f"qt={qt}",
        f"nw={nwb}",
        f"qt|nw={qt}|{nwb}",
        f"p={punct}",
        f"p|c1={punct}|{c1}",
        f"w1={w1}",
        f"w21={w2} {w1}",
        f"w321={w3} {w2} {w1}",
        f"w2={w2}",
        f"c1={c1}",
        f"c21={c2} {c1}",
        f"c321={c3} {c2} {c1}",
        f"qt|w1={qt}|{w1}",
        f"qt|c1={qt}|{c1}",
        f"qt|c21={qt}|{c2} {c1}",
        f"qt|f1={qt}|{first}",
        f"f1={first}",
        f"f1|c1={first}|{c1}",
    ]
    if len(toks) >= 2:
        feats.append(f"f12={toks[0]} {toks[1]}")
    if len(toks) <= 3:
        feats.append(f"short={qt}|{' '.join(toks)}")
    if (w2, w1) in lx.MULTIWORD_FILLERS:
        feats.append("end=mwfiller")
    window = toks[-_BOW_WINDOW:]
    feats.extend(f"u={t}" for t in window)
    feats.extend(f"b={a} {b}" for a, b in itertools.pairwise(window))
    tail = " ".join(toks[-3:])
    feats.extend(f"s{k}={tail[-k:]}" for k in (3, 4, 5, 6) if len(tail) >= k)
    if utt.comma_count:
        feats.append(f"commas={min(utt.comma_count, 3)}|{punct}")
    start = _clause_start(toks)
    feats.append(f"start|c1={start}|{c1}")
    feats.append(f"start|p={start}|{punct}")
    feats.extend(_number_features(toks, agent, qt))
    return feats


def hash_feature(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & (N_BUCKETS - 1)


def feature_indices(transcript: str, agent_last_utterance: str | None = None) -> np.ndarray:
    """Sorted unique bucket indices (int64) of the active features."""
    buckets = {hash_feature(f) for f in extract_features(transcript, agent_last_utterance)}
    return np.fromiter(sorted(buckets), dtype=np.int64, count=len(buckets))
