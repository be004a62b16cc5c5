"""How the semantic delay policy combines its models, adapts (``auto``), and is built from settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.base.compute import inline_compute
from pipeline.settings import TurnSettings
from pipeline.stages.turn_setup import TurnPolicies, delay_policy
from tests.test_eot_smart_turn import _write_model
from turn.delay_policy import SilencePolicy
from turn.eot import TextTurnModel
from turn.presets import PRESETS
from turn.semantic import SemanticPolicy


def test_the_audio_probability_is_averaged_with_the_text_model() -> None:
    policy = SemanticPolicy(TextTurnModel.load(), PRESETS["medium"])
    words = "i would like to book a table for four people tonight"
    text_only = policy.probability(words, None)
    assert text_only is not None
    assert policy.probability(words, None, 0.0) == pytest.approx(text_only / 2, abs=1e-6)
    # sure by its words, unsure by its sound: the wait is no longer the short one
    assert policy.choose(words, None, 0.0).delay > policy.choose(words, None).delay


def test_auto_eagerness_learns_the_callers_pauses() -> None:
    policy = SemanticPolicy(TextTurnModel.load(), PRESETS["auto"])
    unfinished = "my number is five five five"
    before = policy.choose(unfinished, None).delay
    policy.observe_pause(2.0)  # this caller thinks for two seconds mid-sentence
    after = policy.choose(unfinished, None).delay
    assert before == pytest.approx(PRESETS["auto"].incomplete_delay)
    assert after == pytest.approx(2.5)  # 1.25 x the longest pause seen
    fixed = SemanticPolicy(TextTurnModel.load(), PRESETS["medium"])
    fixed.observe_pause(2.0)
    assert fixed.choose(unfinished, None).delay == pytest.approx(PRESETS["medium"].incomplete_delay)


@pytest.mark.anyio
async def test_settings_build_the_policy_and_the_audio_score(tmp_path: Path) -> None:
    assert isinstance(delay_policy(TurnSettings(detector="silence", endpointing_delay=0.7)), SilencePolicy)
    assert isinstance(delay_policy(TurnSettings()), SemanticPolicy)
    model_file = _write_model(tmp_path / "smart_turn.onnx")
    with_model = TurnSettings(audio_model_path=model_file)
    policies = TurnPolicies(16000, TurnSettings())
    assert policies.audio_score(TurnSettings()) is None
    assert policies.audio_score(with_model.model_copy(update={"detector": "silence"})) is None
    score = policies.audio_score(with_model)
    assert score is not None
    assert await score() is None  # nothing heard yet
    policies.recent_audio.add(np.ones(16000, dtype=np.int16))
    with inline_compute():
        probability = await score()
    assert probability is not None and 0.0 <= probability <= 1.0


def test_missing_audio_model_file_is_a_clear_error(tmp_path: Path) -> None:
    from turn.eot import SmartTurnModelError

    settings = TurnSettings(audio_model_path=tmp_path / "nope.onnx")
    with pytest.raises(SmartTurnModelError, match=r"nope\.onnx"):
        TurnPolicies(16000, settings).audio_score(settings)


def test_recent_audio_keeps_the_last_seconds_in_order() -> None:
    from pipeline.stages.turn_setup import RecentAudio

    recent = RecentAudio(10, seconds=1.0)  # ten samples
    recent.add(np.arange(3, dtype=np.int16))
    assert recent.samples().tolist() == [0, 1, 2]
    recent.add(np.arange(3, 12, dtype=np.int16))
    assert recent.samples().tolist() == list(range(2, 12))
    recent.add(np.arange(12, 25, dtype=np.int16))  # more than fits at once
    assert recent.samples().tolist() == list(range(15, 25))
    assert RecentAudio(16000, enabled=False).samples().size == 0


def test_the_audio_model_hears_16_khz_audio_whatever_the_pipeline_rate() -> None:
    from pipeline.stages.turn_setup import RecentAudio

    telephone = RecentAudio(8000)
    telephone.add(np.full(8000, 1000, dtype=np.int16))  # one second at 8 kHz
    assert telephone.samples().size == 8000
    assert telephone.for_audio_model().size == 16000


def test_recent_audio_enabled_later_keeps_audio_from_then_on() -> None:
    from pipeline.stages.turn_setup import RecentAudio

    recent = RecentAudio(16000, enabled=False)
    recent.add(np.ones(160, dtype=np.int16))
    recent.enable()
    recent.add(np.full(320, 2, dtype=np.int16))
    assert recent.samples().tolist() == [2] * 320
