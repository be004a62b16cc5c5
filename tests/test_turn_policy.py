"""How the semantic delay policy combines its models, adapts (``auto``), and is built from settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.settings import TurnSettings
from pipeline.stages.turn_setup import delay_policy
from tests.test_eot_smart_turn import _write_model
from turn.delay_policy import SilencePolicy
from turn.eot import TextTurnModel
from turn.presets import PRESETS
from turn.semantic import SemanticPolicy


class FixedAudioModel:
    def __init__(self, probability: float) -> None:
        self.probability = probability
        self.heard: list[int] = []

    def predict(self, samples_16k: np.ndarray) -> float:
        self.heard.append(len(samples_16k))
        return self.probability


def test_audio_model_is_averaged_with_the_text_model() -> None:
    audio = FixedAudioModel(0.0)
    recent = np.ones(16000, dtype=np.int16)
    policy = SemanticPolicy(
        TextTurnModel.load(), PRESETS["medium"], audio_model=audio, recent_audio=lambda: recent
    )
    text_only = SemanticPolicy(TextTurnModel.load(), PRESETS["medium"])
    words = "i would like to book a table for four people tonight"
    assert text_only.probability(words, None) == pytest.approx(policy.probability(words, None) * 2, abs=1e-6)
    assert audio.heard == [16000]
    # sure by its words, unsure by its sound: the wait is no longer the short one
    assert policy.choose(words, None).delay > text_only.choose(words, None).delay


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


def test_settings_build_the_policy(tmp_path: Path) -> None:
    assert isinstance(
        delay_policy(TurnSettings(detector="silence", endpointing_delay=0.7), np.zeros), SilencePolicy
    )
    model_file = _write_model(tmp_path / "smart_turn.onnx")
    policy = delay_policy(TurnSettings(audio_model_path=model_file), lambda: np.zeros(16000, dtype=np.int16))
    assert isinstance(policy, SemanticPolicy) and policy.audio_model is not None
    assert 0.0 <= policy.probability("yes please", None) <= 1.0


def test_missing_audio_model_file_is_a_clear_error(tmp_path: Path) -> None:
    from turn.eot import SmartTurnModelError

    with pytest.raises(SmartTurnModelError, match=r"nope\.onnx"):
        delay_policy(TurnSettings(audio_model_path=tmp_path / "nope.onnx"), np.zeros)


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
