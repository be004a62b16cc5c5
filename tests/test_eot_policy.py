"""The semantic delay policy: how the end-of-turn probability becomes the silence the agent waits."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from turn.eot import TextTurnModel
from turn.presets import PRESETS
from turn.semantic import UNCERTAIN_AT, SemanticPolicy

ITEMS_Q = "What else do you need from the shop?"


@pytest.fixture(scope="module")
def model() -> TextTurnModel:
    return TextTurnModel.load()


@pytest.mark.parametrize("eagerness", ["high", "medium", "low", "auto"])
def test_the_wait_falls_as_the_utterance_sounds_more_finished(model: TextTurnModel, eagerness: str) -> None:
    timing = PRESETS[eagerness]
    policy = SemanticPolicy(model, timing)
    delays = [policy.delay_for(p) for p in np.linspace(0.0, 1.0, 201)]
    assert all(a > b for a, b in itertools.pairwise(delays))  # continuous and strictly falling: no buckets
    assert max(abs(a - b) for a, b in itertools.pairwise(delays)) < 0.1  # no jumps
    assert policy.delay_for(0.0) == pytest.approx(timing.incomplete_delay)
    assert policy.delay_for(UNCERTAIN_AT) == pytest.approx(timing.uncertain_delay, abs=1e-3)
    assert policy.delay_for(0.9) == pytest.approx(timing.complete_delay, abs=0.05)


def test_presets_keep_the_short_wait_for_a_finished_thought_and_the_barge_in_durations() -> None:
    assert [PRESETS[e].complete_delay for e in ("high", "medium", "low")] == [0.15, 0.25, 0.5]
    assert [PRESETS[e].barge_in_duration for e in ("high", "medium", "low", "auto")] == [0.3, 0.5, 0.6, 0.5]
    for timing in PRESETS.values():
        assert timing.complete_delay < timing.uncertain_delay < timing.incomplete_delay


@pytest.mark.parametrize(
    ("transcript", "agent"),
    [
        ("my cell's two four seven", None),
        ("we need batteries light bulbs", ITEMS_Q),
        ("could we move it to, um, let me see", None),
    ],
)
def test_an_unfinished_utterance_gets_the_long_wait(
    model: TextTurnModel, transcript: str, agent: str | None
) -> None:
    policy = SemanticPolicy(model, PRESETS["medium"])
    assert policy.choose(transcript, agent).delay > PRESETS["medium"].uncertain_delay


def test_an_ambiguous_utterance_waits_longer_than_a_finished_one(model: TextTurnModel) -> None:
    policy = SemanticPolicy(model, PRESETS["medium"])
    finished = policy.choose("we need batteries and light bulbs", ITEMS_Q).delay
    maybe = policy.choose("we're out of dish soap", ITEMS_Q).delay  # one item after "what else?"
    assert finished == pytest.approx(PRESETS["medium"].complete_delay, abs=0.05)
    assert maybe > 2 * finished


def test_auto_trusts_finished_less_after_each_cut_off(model: TextTurnModel) -> None:
    policy = SemanticPolicy(model, PRESETS["auto"])
    before = policy.delay_for(0.8)
    policy.observe_cut_off(0.4, 0.8)
    after_one = policy.delay_for(0.8)
    policy.observe_cut_off(0.5, 0.8)
    assert before < after_one < policy.delay_for(0.8)
    fixed = SemanticPolicy(model, PRESETS["medium"])
    fixed.observe_cut_off(0.4, 0.8)
    assert fixed.delay_for(0.8) == pytest.approx(before)
