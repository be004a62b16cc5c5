"""The blind turn-taking sets: the test split is locked, and none of their sentences is in the training data."""

from __future__ import annotations

from benchmarks.turn_blind import TEST_DIGEST, BlindSplit, all_blind_sentences, build_blind, split_digest
from training.eot.dataset import load_rows
from turn.eot.tokens import tokenize

PHENOMENA = {
    "email", "verb_object", "place", "date", "code", "spelled_name", "phone", "address", "list", "hesitation",
    "more", "correction", "digits", "question_back", "one_word", "complete",
}  # fmt: skip


def test_test_split_is_locked() -> None:
    assert split_digest(build_blind(BlindSplit.TEST)) == TEST_DIGEST


def test_both_splits_cover_every_phenomenon_with_raw_and_formatted_text() -> None:
    for split in BlindSplit:
        cases = build_blind(split)
        assert {c.category for c in cases} == PHENOMENA
        assert {c.case_id.rsplit("-", 1)[1] for c in cases} == {"raw", "formatted"}


def test_pauses_span_a_third_of_a_second_to_two_seconds() -> None:
    pauses = [c for case in build_blind(BlindSplit.TEST) for c in case.chunks if isinstance(c, float)]
    assert min(pauses) >= 0.3 and max(pauses) <= 2.0 and max(pauses) - min(pauses) > 1.2


def test_no_blind_sentence_or_pause_prefix_is_in_the_training_data() -> None:
    training = {" ".join(tokenize(row.text)) for row in load_rows()}
    blind_prefixes = set()
    for split in BlindSplit:
        for case in build_blind(split):
            words: list[str] = []
            for chunk in case.chunks:
                if isinstance(chunk, str):
                    words.extend(tokenize(chunk))
                    if len(words) > 2:  # "new", "yes", "delivery" are bound to occur anywhere
                        blind_prefixes.add(" ".join(words))
    blind_prefixes |= {" ".join(tokenize(s)) for s in all_blind_sentences() if len(s.split()) > 2}
    assert not blind_prefixes & training
