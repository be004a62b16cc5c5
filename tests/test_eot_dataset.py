"""The committed end-of-turn corpus: reproducible, covers what it must, and splits without leaking."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from training.eot.build_dataset import build
from training.eot.dataset import (
    AMBIGUOUS_KINDS,
    DATASET_PATH,
    Row,
    Split,
    group_key,
    load_rows,
    split_of,
    split_rows,
)
from turn.eot.text_features import count_digits, tokenize


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return load_rows()


def test_committed_dataset_is_what_the_builder_generates(rows: list[Row]) -> None:
    generated, conflicts = build()
    assert conflicts == 0
    assert generated == rows


def test_rows_have_the_documented_fields() -> None:
    with DATASET_PATH.open(encoding="utf-8") as f:
        first = json.loads(f.readline())
    assert set(first) == {"text", "agent_question", "complete", "kind"}
    assert DATASET_PATH.stat().st_size < 5_000_000


def test_covers_the_required_kinds_with_both_labels(rows: list[Row]) -> None:
    kinds = Counter(r.kind for r in rows)
    for kind in ("statement", "question", "short_answer", "number", "trailing_conjunction", "filler",
                 "trailing_preposition", "trailing_article", "partial_number", "partial_address",
                 "partial_list", "unfinished_clause", "short_incomplete", "hesitation", "compound",
                 "partial_code", "partial_name", *AMBIGUOUS_KINDS):  # fmt: skip
        assert kinds[kind] >= 100, kind
    complete_share = sum(r.complete for r in rows) / len(rows)
    assert 0.35 < complete_share < 0.65


def test_contains_unformatted_transcripts_and_both_number_spellings(rows: list[Row]) -> None:
    plain = [r for r in rows if re.fullmatch(r"[a-z0-9' ]+", r.text)]
    assert len(plain) > len(rows) / 3
    numbers = [r for r in rows if r.kind in ("number", "partial_number")]
    assert any(re.search(r"\d{3}", r.text) for r in numbers)
    assert any(" five " in f" {r.text} " or " oh " in f" {r.text} " for r in numbers)


def test_short_answers_follow_agent_questions(rows: list[Row]) -> None:
    short = [r for r in rows if r.kind == "short_answer"]
    with_question = [r for r in short if r.agent_question]
    assert len(with_question) > 0.7 * len(short)
    assert any(r.text.lower() in ("yes", "no thanks") and r.agent_question for r in short)


def test_complete_phone_numbers_have_ten_or_eleven_digits(rows: list[Row]) -> None:
    phones = [r for r in rows if r.kind == "number" and "phone" in (r.agent_question or "").lower()]
    assert phones
    for row in phones:
        assert count_digits(tuple(t for t in tokenize(row.text) if t not in ("it's", "sure", "my"))) in (
            10,
            11,
        )


def test_split_is_deterministic_and_about_one_fifth(rows: list[Row]) -> None:
    train, test = split_rows(rows)
    again_train, again_test = split_rows(rows)
    assert (train, test) == (again_train, again_test)
    assert 0.15 < len(test) / len(rows) < 0.25


def test_all_spellings_of_an_utterance_share_a_split() -> None:
    spellings = [
        "My number is 555-0192.",
        "my number is 555 0192",
        "my number is five five five oh one nine two",
    ]
    assert len({group_key(s) for s in spellings}) == 1
    assert len({split_of(s) for s in spellings}) == 1
    assert {split_of(f"utterance number {i}") for i in range(200)} == {Split.TRAIN, Split.TEST}


def test_no_held_out_utterance_appears_in_training(rows: list[Row]) -> None:
    train, test = split_rows(rows)
    train_keys = {group_key(r.text) for r in train}
    assert not any(group_key(r.text) in train_keys for r in test)


def test_ambiguous_utterances_carry_both_labels_and_nothing_else_does(rows: list[Row]) -> None:
    labels: dict[tuple[str, str | None], set[bool]] = {}
    for row in rows:
        labels.setdefault((row.text, row.agent_question), set()).add(row.complete)
    for row in rows:
        both = labels[(row.text, row.agent_question)] == {True, False}
        assert both is (row.kind in AMBIGUOUS_KINDS), row
