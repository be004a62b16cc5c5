"""Text -> hashed sparse features for the end-of-turn classifier.

Shared by training and inference, so the two can never drift apart. Every feature is a short string
("w1=the", "ctx|numstat=phone|short", ...) hashed with CRC-32 into ``N_BUCKETS`` buckets; all values are 1.
Python's ``hash()`` is salted per process, so it must never be used here.
"""

from __future__ import annotations

import itertools
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from turn.eot import lexicon as lx
from turn.eot.agent_context import NO_AGENT, AgentContext, analyze_agent
from turn.eot.number_features import count_digits, number_features, trailing_number_run
from turn.eot.tokens import strip_hesitations, tokenize, word_class

__all__ = [
    "FEATURE_VERSION",
    "NO_AGENT",
    "N_BUCKETS",
    "AgentContext",
    "Utterance",
    "analyze_agent",
    "count_digits",
    "extract_features",
    "feature_buckets",
    "feature_indices",
    "hash_feature",
    "normalize",
    "tokenize",
    "trailing_number_run",
    "word_class",
]

FEATURE_VERSION = 3
N_BUCKETS = 1 << 18

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
_DISCOURSE_WORDS = lx.YES_NO_WORDS | lx.FILLERS | {"actually", "hi", "hello", "sorry", "so", "oh", "and"}


@dataclass(frozen=True, slots=True)
class Utterance:
    """A transcript reduced to lowercase word/digit tokens plus the punctuation cues we keep."""

    tokens: tuple[str, ...]
    final_punct: str  # "", ".", "?", "!", ",", "-" or "..." (ellipsis)
    comma_count: int


def normalize(text: str) -> Utterance:
    stripped = text.strip().strip("\"'")
    if stripped.endswith(("...", "\u2026")):
        punct = "..."
    else:
        punct = _FINAL_PUNCT.get(stripped[-1:], "") if stripped else ""
    return Utterance(tokenize(stripped), punct, stripped.count(","))


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


_LENGTH_BUCKETS = ((0, "0"), (1, "1"), (2, "2"), (3, "3"), (4, "4"), (6, "5-6"), (9, "7-9"), (14, "10-14"))


def _length_bucket(n: int) -> str:
    for limit, name in _LENGTH_BUCKETS:
        if n <= limit:
            return name
    return "15+"


def _content_run(tokens: tuple[str, ...]) -> int:
    """How many open-class words end the utterance ("under hannah" -> 1, "a coffee filter" -> 2), up to 4."""
    run = 0
    for token in reversed(tokens[-4:]):
        if word_class(token) != "w":
            break
        run += 1
    return run


def _is_plural_noun_like(token: str) -> bool:
    return len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is", "'s"))


def _phrase_breaks(tokens: tuple[str, ...]) -> int:
    """Noun phrases run together at the end, up to 2: items listed without "and" between them. A content word
    followed by an article or number ("forks a platter"), or a plural followed by a content word ("eggs milk":
    English compounds take a singular first word, "egg carton")."""
    tail = ("<s>", *tokens[-_BOW_WINDOW:])
    breaks = 0
    for before, a, b in zip(tail, tail[1:], tail[2:], strict=False):
        ca, cb = word_class(a), word_class(b)
        plural = _is_plural_noun_like(a) and word_class(before) not in ("subj", "aux") and before != "<s>"
        if ca == "w" and (cb in ("det", "num") or (cb == "w" and plural)):  # "it keeps going": a verb
            breaks += 1
    return min(breaks, 2)


def _hesitation_features(toks: tuple[str, ...], qt: str) -> list[str]:
    """Where the clause stopped before the trailing "um, let me see": "to" is still unfinished."""
    core = strip_hesitations(toks)
    if len(core) == len(toks):
        return []
    w1 = core[-1] if core else "<s>"
    w2 = core[-2] if len(core) > 1 else "<s>"
    c1, c2 = word_class(w1), word_class(w2)
    return ["hes", f"hes|c1={c1}", f"hes|w1={w1}", f"hes|c21={c2} {c1}", f"hes|qt|c1={qt}|{c1}"]


@lru_cache(maxsize=512)
def _agent_words(agent_last_utterance: str | None) -> frozenset[str]:
    return frozenset(tokenize(agent_last_utterance or ""))


def _piece_features(toks: tuple[str, ...], agent_last_utterance: str | None, qt: str) -> list[str]:
    """Answers given in pieces: an email without its domain, a verb without its object, half of a place
    name, a date without its year (when a birth date was asked), spelled letter groups."""
    core = strip_hesitations(toks)
    if not core:
        return []
    asked = _agent_words(agent_last_utterance)
    w1 = core[-1]
    w2 = core[-2] if len(core) > 1 else "<s>"
    feats: list[str] = []
    email_asked = "email" in asked or "e-mail" in asked
    mentions_email = email_asked or "email" in core
    if mentions_email:
        has_at = "at" in core or any("@" in t for t in core)
        done = (w1 in lx.EMAIL_ENDINGS and w2 == "dot") or ("." in w1 and has_at)
        feats += [f"email|at={has_at}|done={done}", f"email|w1j={w1 in lx.EMAIL_JOINERS}"]
    if w1 in lx.OBJECT_VERBS:
        feats += ["vobj", f"vobj|c2={word_class(w2)}", f"vobj|qt={qt}"]
    if w1 in lx.PLACE_FIRST_WORDS or (w2, w1) in lx.PLACE_SECOND_HALVES:
        feats += ["place1", f"place1|qt={qt}", f"place1|c2={word_class(w2)}"]
    if w1 in lx.MONTHS:
        feats += ["month_end", f"month_end|qt={qt}"]
    birth = bool(asked & {"born", "birth", "dob", "birthday"})
    if birth or any(t in lx.MONTHS for t in core):
        has_year = any(t in ("nineteen", "twenty", "thousand") or (t.isdigit() and len(t) == 4) for t in core)
        feats.append(f"date|birth={birth}|year={has_year}")
    if "name" in asked and ("full" in asked or {"first", "last"} <= asked):
        feats.append(f"fullname|nw={min(len(core), 4)}")
    letters = 0
    for token in reversed(core):
        if len(token) == 1 or token in lx.UNIT_WORDS:
            letters += 1
        else:
            break
    if letters >= 2:
        feats += [f"spelled={min(letters, 8)}", f"spelled|qt={qt}"]
    return feats


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
    content_run = _content_run(strip_hesitations(toks))
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
        f"qt|c321={qt}|{c3} {c2} {c1}",
        f"qt|f1={qt}|{first}",
        f"f1={first}",
        f"f1|c1={first}|{c1}",
        f"cr={content_run}",
        f"qt|cr={qt}|{content_run}",
        f"qt|cr|nw={qt}|{content_run}|{nwb}",
        f"qt|and|cr={qt}|{'and' in toks[-_BOW_WINDOW:]}|{content_run}",
    ]
    if len(toks) >= 2:
        feats.append(f"f12={toks[0]} {toks[1]}")
        feats.append(f"qt|f12={qt}|{toks[0]} {toks[1]}")
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
    feats.append(f"qt|start|c1={qt}|{start}|{c1}")
    breaks = _phrase_breaks(toks)
    feats.extend((f"npb={breaks}", f"npb|c1={breaks}|{c1}", f"qt|npb={qt}|{breaks}"))
    feats.extend(_hesitation_features(toks, qt))
    feats.extend(number_features(toks, agent, qt))
    feats.extend(_piece_features(toks, agent_last_utterance, qt))
    # Every feature again under the question type, so a context can override the general habit ("ends in a
    # noun: finished") where it does not hold: after "what else do you need?", "we need soap" may go on.
    feats.extend([f"{qt}:{f}" for f in feats if not f.startswith("qt")])
    return feats


def hash_feature(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & (N_BUCKETS - 1)


def feature_buckets(transcript: str, agent_last_utterance: str | None = None) -> set[int]:
    """The buckets of the active features."""
    return {hash_feature(f) for f in extract_features(transcript, agent_last_utterance)}


def feature_indices(transcript: str, agent_last_utterance: str | None = None) -> np.ndarray:
    """Sorted unique bucket indices (int64) of the active features."""
    buckets = feature_buckets(transcript, agent_last_utterance)
    return np.fromiter(sorted(buckets), dtype=np.int64, count=len(buckets))
