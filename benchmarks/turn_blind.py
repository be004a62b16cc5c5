"""Blind turn-taking sets: a development split and a LOCKED test split (issue 16).

The cases are hand-written in ``benchmarks.turn_blind_cases`` (not generated from the training templates).
Each line becomes two cases: the words as an unformatted streaming STT writes them (lowercase, no
punctuation) and as a formatting STT writes them (capitalised, a comma or full stop at some pauses, a full stop
or question mark at the end). Every internal pause is drawn from 0.3-2.0 s with a seeded generator.

A line belongs to ``test`` or ``dev`` by a CRC-32 of its words, so both renderings of one turn share a split.
The test split is locked: ``TEST_DIGEST`` is the SHA-256 of its cases, and a test fails if the split changes.
Tune on ``dev`` only; report ``test``. No sentence of either split may appear in ``training/eot`` data (also a
test).
"""

from __future__ import annotations

import hashlib
import random
import zlib
from enum import Enum

from benchmarks.turn_blind_cases import CASES
from benchmarks.turn_corpus import Chunk, TurnCase

SEED = 16
MIN_PAUSE_S = 0.3
MAX_PAUSE_S = 2.0
TEST_PERCENT = 50
TEST_DIGEST = "459a77d632a0147d3b00ff8768577513102caddfbde509b5cc68e38a5e4761a4"


class BlindSplit(Enum):
    DEV = "dev"
    TEST = "test"


def _lines() -> list[tuple[str, str | None, list[str]]]:
    parsed = []
    for raw in CASES.strip().splitlines():
        category, question, spoken = (part.strip() for part in raw.split(";", 2))
        parsed.append(
            (category, None if question == "-" else question, [c.strip() for c in spoken.split("|")])
        )
    return parsed


def split_of(words: str) -> BlindSplit:
    bucket = zlib.crc32(" ".join(words.lower().split()).encode("utf-8")) % 100
    return BlindSplit.TEST if bucket < TEST_PERCENT else BlindSplit.DEV


def _formatted(parts: list[str], category: str, rng: random.Random) -> list[str]:
    out = []
    for i, part in enumerate(parts):
        text = part[:1].upper() + part[1:] if i == 0 else part
        text = text.rstrip(".,")
        if i == len(parts) - 1:
            text += "?" if category == "question_back" else "."
        else:
            text += rng.choice((",", ".", ""))
        out.append(text)
    return out


def build_blind(split: BlindSplit, seed: int = SEED) -> list[TurnCase]:
    cases: list[TurnCase] = []
    for index, (category, question, parts) in enumerate(_lines()):
        if split_of(" ".join(parts)) is not split:
            continue
        rng = random.Random(f"{seed}-{index}")
        for style in ("raw", "formatted"):
            texts = [p.rstrip(".,") for p in parts] if style == "raw" else _formatted(parts, category, rng)
            chunks: list[Chunk] = []
            for i, text in enumerate(texts):
                if i:
                    chunks.append(round(rng.uniform(MIN_PAUSE_S, MAX_PAUSE_S), 2))
                chunks.append(text)
            cases.append(TurnCase(f"{split.value}-{index}-{style}", category, question, tuple(chunks)))
    return cases


def split_digest(cases: list[TurnCase]) -> str:
    text = "\n".join(f"{c.case_id};{c.category};{c.agent_question};{c.chunks!r}" for c in cases)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def all_blind_sentences() -> list[str]:
    """Every full caller turn of both splits (lowercase words), for the no-overlap check against training."""
    return [" ".join(" ".join(parts).lower().split()) for _, _, parts in _lines()]
