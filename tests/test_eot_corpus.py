"""The turn-taking benchmark corpus: well-formed, seeded, honest (not in the training set), and usable."""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks.turn_corpus import DEFAULT_CASES, FINAL_SILENCE_S, TurnCase, build_corpus, iter_cases
from training.eot.dataset import group_key, load_rows
from turn.eot import TextTurnModel


@pytest.fixture(scope="module")
def corpus() -> list[TurnCase]:
    return build_corpus()


def test_about_a_hundred_distinct_cases(corpus: list[TurnCase]) -> None:
    assert len(corpus) == DEFAULT_CASES
    assert len({(c.agent_question, c.chunks) for c in corpus}) == len(corpus)
    assert len({c.case_id for c in corpus}) == len(corpus)


def test_same_seed_same_cases_other_seed_other_cases(corpus: list[TurnCase]) -> None:
    assert build_corpus() == corpus
    assert build_corpus(seed=8) != corpus
    assert list(iter_cases(n_cases=5)) == corpus[:5]


def test_mixes_paused_incomplete_and_complete_utterances(corpus: list[TurnCase]) -> None:
    paused = [c for c in corpus if c.has_internal_pause]
    assert 0.4 * len(corpus) <= len(paused) <= 0.8 * len(corpus)
    categories = Counter(c.category for c in corpus)
    assert len(categories) >= 8


def test_turn_ends_only_after_the_last_chunk(corpus: list[TurnCase]) -> None:
    for case in corpus:
        points = case.decision_points()
        assert [p.is_turn_end for p in points] == [False] * (len(points) - 1) + [True]
        assert points[-1].text_so_far == case.full_text
        assert points[-1].pause_s == FINAL_SILENCE_S
        assert all(0.3 < p.pause_s < 1.5 for p in points[:-1])
        assert case.turn_end_index == len(case.chunks) - 1


def test_text_at_each_pause_is_the_words_spoken_so_far() -> None:
    case = TurnCase("x", "phone", None, ("my number is five five five", 0.6, "zero one nine two"))
    points = case.decision_points()
    assert [p.text_so_far for p in points] == [
        "my number is five five five",
        "my number is five five five zero one nine two",
    ]
    assert [p.pause_s for p in points] == [0.6, FINAL_SILENCE_S]


def test_malformed_cases_are_rejected() -> None:
    with pytest.raises(ValueError):
        TurnCase("bad", "x", None, ("a", 0.5))
    with pytest.raises(ValueError):
        TurnCase("bad", "x", None, ("a", "b"))


def test_no_benchmark_text_is_in_the_training_corpus(corpus: list[TurnCase]) -> None:
    training = {group_key(r.text) for r in load_rows()}
    texts = {p.text_so_far for c in corpus for p in c.decision_points()}
    assert not [t for t in texts if group_key(t) in training]


def test_text_model_beats_always_answering(corpus: list[TurnCase]) -> None:
    model = TextTurnModel.load()
    points = [(c.agent_question, p) for c in corpus for p in c.decision_points()]
    correct = sum((model.predict(p.text_so_far, q) > 0.5) == p.is_turn_end for q, p in points)
    always_complete = sum(p.is_turn_end for _, p in points)
    # measured 0.93 when the weights were trained; answering at every pause scores ~0.45
    assert correct / len(points) > 0.65
    assert correct > always_complete + 0.2 * len(points)
