"""The barge-in-at-the-ear benchmark on a small sample: with the clear, nothing the device held of the interrupted
speech plays after the decision; the runtime before issue 19 (no clear, window-edge VAD) plays it. Virtual time
only: no wall-clock figure is asserted."""

from __future__ import annotations

import pytest

from benchmarks.barge_in_ear import AFTER, BEFORE, Report, Setup, measure

pytestmark = pytest.mark.timeout(120)

PREROLL = 2  # frames the emulated device keeps queued while the agent speaks


@pytest.fixture(scope="module")
def after() -> Report:
    return measure(Setup(AFTER, preroll=PREROLL), phases=2, phrases=1)


@pytest.fixture(scope="module")
def before() -> Report:
    return measure(Setup(BEFORE, preroll=PREROLL), phases=2, phrases=1)


def test_agent_audio_ends_after_the_caller_starts_and_after_the_decision(
    after: Report, before: Report
) -> None:
    for case in after.cases + before.cases:
        assert case.decision_ms > 0  # the VAD needs the caller's speech before it can decide
        assert case.ear_ms > case.decision_ms  # the frame playing at the decision finishes
        assert case.ear_ms == pytest.approx(case.decision_ms + case.after_decision_ms)


def test_with_the_clear_no_frame_of_the_interrupted_speech_starts_after_the_decision(after: Report) -> None:
    assert len(after.cases) == 2
    for case in after.cases:
        assert case.frames_started_after_decision == 0
        assert case.frames_dropped_at_device == PREROLL  # what the device held was dropped, not played
        assert case.after_decision_ms <= 20.0  # at most the rest of the frame being played (virtual time)


def test_without_the_clear_the_queued_frames_play_after_the_decision(before: Report) -> None:
    for case in before.cases:
        assert case.frames_dropped_at_device == 0
        assert case.frames_started_after_decision == PREROLL
        assert case.after_decision_ms > 20.0 * PREROLL
