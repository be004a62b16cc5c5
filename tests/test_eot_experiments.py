"""The issue-16 model experiments (not shipped): the comparison helpers count what they claim to, and the window
network trains reproducibly and loads back to the same predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.turn_corpus import TurnCase
from benchmarks.turn_lm_eot import auc, decision_points, normalise
from training.eot.dataset import load_rows, split_rows
from training.eot.metrics import roc_auc
from training.eot.train_window import Batch, WindowConfig, featurize, probabilities, save, train
from training.eot.window_model import WindowModelLoadError, WindowTurnModel


def test_auc_counts_ties_as_half() -> None:
    assert auc([0.9, 0.8, 0.1], [True, True, False]) == 1.0
    assert auc([0.1, 0.9], [True, False]) == 0.0
    assert auc([0.5, 0.5], [True, False]) == 0.5


def test_every_pause_is_an_unfinished_point_and_the_end_a_finished_one() -> None:
    case = TurnCase("t1", "email", "What's your email?", ("it's jo", 0.8, "at example", 1.1, "dot com"))
    points = decision_points([case])
    assert [(p.text, p.finished) for p in points] == [
        ("it's jo", False),
        ("it's jo at example", False),
        ("it's jo at example dot com", True),
    ]
    assert {p.question for p in points} == {"What's your email?"}


def test_the_language_model_sees_text_as_an_unformatted_stt_writes_it() -> None:
    assert normalise("It's Jo. At example, dot com?") == "it's jo at example dot com"


@pytest.fixture(scope="module")
def small_training() -> tuple[Batch, Batch]:
    train_rows, test_rows = split_rows(load_rows())
    return featurize(train_rows[::40]), featurize(test_rows[::20])


def test_window_training_is_reproducible_and_learns(small_training: tuple[Batch, Batch]) -> None:
    batch, held_out = small_training
    config = WindowConfig(epochs=3, units=16)
    first = train(batch, config)
    second = train(batch, config)
    for key, value in first.items():
        assert np.array_equal(value, second[key]), key
    assert roc_auc(held_out.labels, probabilities(first, held_out)) > 0.8


def test_saved_window_weights_predict_what_training_computed(
    small_training: tuple[Batch, Batch], tmp_path: Path
) -> None:
    batch, held_out = small_training
    params = train(batch, WindowConfig(epochs=1, units=8))
    path = tmp_path / "window.npz"
    save(params, path)
    model = WindowTurnModel.load(path)
    rows = split_rows(load_rows())[1][::20][:50]
    expected = probabilities(params, held_out)[:50]
    got = [model.predict(r.text, r.agent_question) for r in rows]
    np.testing.assert_allclose(got, expected, atol=1e-4)  # float32 on disk


def test_missing_window_weights_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WindowModelLoadError, match="not found"):
        WindowTurnModel.load(tmp_path / "nope.npz")
