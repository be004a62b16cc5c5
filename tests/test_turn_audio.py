"""The audio turn-taking benchmark can fail: a caller who pauses 1.0 s mid-turn is cut off by a 0.5 s silence-only
detector and not by a 1.6 s one, and the wait after the true end is the configured silence. Virtual time only (the
cases run in a full Session with real Silero on trio's MockClock); no wall-clock figure is asserted."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.turn_audio.render import CaseAudio, Voice, render
from benchmarks.turn_audio.report import run_setting, summarize
from benchmarks.turn_audio.session_run import Outcome
from benchmarks.turn_corpus import TurnCase
from pipeline.settings import TurnSettings
from tests.test_eot_smart_turn import _write_model

pytestmark = pytest.mark.timeout(120)

PAUSED = TurnCase("paused", "phone", None, ("my number is five five five", 1.0, "one two three four"))
ESPEAK = Voice("espeak", "en-us", 175)


@pytest.fixture(scope="module")
def audio() -> CaseAudio:
    return render(PAUSED, tail_s=2.5, voice=ESPEAK, cache_dir=None)


def silence_only(delay: float) -> TurnSettings:
    return TurnSettings(detector="silence", endpointing_delay=delay)


def test_the_rendered_pause_is_the_case_pause(audio: CaseAudio) -> None:
    ((start, end),) = audio.pauses
    assert end - start == pytest.approx(1.0, abs=1e-3)
    assert audio.speech_end == audio.segments[-1][1]


def test_a_short_silence_cuts_the_pause_off_and_a_long_one_does_not(audio: CaseAudio) -> None:
    short: Outcome
    long: Outcome
    short, long = (run_setting([audio], silence_only(d))[0] for d in (0.5, 1.6))
    assert short.pauses == 1 and short.pauses_cut == 1
    ((pause_start, _),) = audio.pauses
    assert pause_start + 0.45 < short.decisions[0] < pause_start + 0.6  # decided in the pause
    assert long.pauses_cut == 0 and len(long.decisions) == 1
    assert long.wait == pytest.approx(1.6, abs=0.05)  # from the true end of the caller's audio
    assert short.wait == pytest.approx(0.5, abs=0.05)
    rows = [summarize("x", [audio], [o]) for o in (short, long)]
    assert [row["false_cut_off_rate"] for row in rows] == [1.0, 0.0]


def test_a_caller_who_resumes_just_before_the_delay_ends_is_not_cut_off() -> None:
    """The pause (0.93 s) is shorter than the silence delay (1.0 s), but the VAD confirms the resumed speech only
    ~0.1 s after it began: the turn must not be taken while it does."""
    case = TurnCase("resumes", "phone", None, ("my number is five five five", 0.93, "one two three four"))
    audio = render(case, tail_s=2.0, voice=ESPEAK, cache_dir=None)
    result = run_setting([audio], silence_only(1.0))[0]
    assert result.pauses_cut == 0
    assert result.wait == pytest.approx(1.0, abs=0.05)


def test_an_audio_end_of_turn_model_scores_the_pause_and_the_turn_still_ends(
    audio: CaseAudio, tmp_path: Path
) -> None:
    """Smart Turn (a stand-in graph of its signature, ~0.64 "complete" on this audio) scores each pause through the
    real session wiring. The words alone (a phone number) wait the long delay; the sound pulls the wait in. A score
    that never arrived would hold the decision until the transcript timeout, later still."""
    model = _write_model(tmp_path / "smart_turn.onnx")
    (words_only,) = run_setting([audio], TurnSettings(detector="semantic"))
    (with_model,) = run_setting([audio], TurnSettings(detector="semantic", audio_model_path=model))
    assert with_model.pauses_cut == 0 and len(with_model.decisions) == 1
    assert words_only.wait is not None and with_model.wait is not None
    assert with_model.wait < words_only.wait - 0.1


def test_the_audio_model_auc_ranks_finished_turns_above_pauses() -> None:
    from benchmarks.turn_audio.model_auc import auc

    assert auc([True, False, False], [0.9, 0.2, 0.1]) == 1.0
    assert auc([True, False], [0.1, 0.9]) == 0.0
    assert auc([True, False], [0.5, 0.5]) == 0.5


def test_a_cut_off_is_heard_only_when_the_reply_plays_before_the_caller_goes_on(audio: CaseAudio) -> None:
    """The 0.5 s silence cuts the 1.0 s pause off; a reply that starts 0.25 s later plays into the pause (the
    caller hears the agent start), one that would start 1.05 s later is cancelled by the caller's resumed speech."""
    (quick,) = run_setting([audio], silence_only(0.5), reply_ttft=0.2)
    (slow,) = run_setting([audio], silence_only(0.5), reply_ttft=1.0)
    assert quick.pauses_cut == slow.pauses_cut == 1
    assert quick.talked_over == 1
    assert slow.talked_over == 0
