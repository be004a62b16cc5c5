"""The end-of-turn corpus on disk: row type, loading, and the deterministic train/test split."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path

from training.eot.spoken_numbers import TEENS, TENS
from turn.eot import lexicon as lx
from turn.eot.text_features import tokenize

DATA_DIR = Path(__file__).resolve().parent / "data"
DATASET_PATH = DATA_DIR / "dataset.jsonl"
TEST_PERCENT = 20
# Utterances that may or may not be the whole turn ("we still need dish soap" after "what else?", a first name
# alone, a street without the town, a four-digit ID): the corpus holds each with both labels.
# A bare first name after "what's your name?" is complete (issue 16: it is what most callers say); with a lead
# ("put it under ingrid") it stays ambiguous.
AMBIGUOUS_KINDS = frozenset({"list_single", "name_first", "address_street", "code_short"})


class Split(Enum):
    TRAIN = "train"
    TEST = "test"


@dataclass(frozen=True, slots=True)
class Row:
    text: str
    agent_question: str | None
    complete: bool
    kind: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


_WORD_DIGITS = {
    **{w: str(d) for w, d in lx.UNIT_WORDS.items()},
    **{w: str(10 + i) for i, w in enumerate(TEENS)},
    **{w: str(i) for i, w in enumerate(TENS) if w},  # "forty two" -> "42"
    "hundred": "00",
}


def _canonical_token(token: str) -> str:
    return _WORD_DIGITS.get(token, token)


def group_key(text: str) -> str:
    """Spelling-independent key: casing, punctuation, digit grouping and digits-vs-words all collapse.

    All renderings of one utterance land in the same split, so the test set never holds a copy of a
    training row in another spelling.
    """
    return "".join(_canonical_token(t) for t in tokenize(text))


def split_of(text: str) -> Split:
    bucket = zlib.crc32(group_key(text).encode("utf-8")) % 100
    return Split.TEST if bucket < TEST_PERCENT else Split.TRAIN


def load_rows(path: Path = DATASET_PATH) -> list[Row]:
    rows: list[Row] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                rows.append(Row(d["text"], d["agent_question"], bool(d["complete"]), d["kind"]))
    return rows


def split_rows(rows: Iterable[Row]) -> tuple[list[Row], list[Row]]:
    train: list[Row] = []
    test: list[Row] = []
    for row in rows:
        (test if split_of(row.text) is Split.TEST else train).append(row)
    return train, test


def write_rows(rows: Sequence[Row], path: Path = DATASET_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(row.to_json() + "\n")
