"""The capacity benchmark: a tiny real run (one worker process, real Silero VAD, real sessions) and the pieces
that decide whether a step kept up with real time."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from benchmarks.capacity.conversation import synthesize_caller
from benchmarks.capacity.lag import LagHistogram, LagProbe
from benchmarks.capacity.ramp import RampConfig, run_ramp, split_sessions, step_sizes
from benchmarks.capacity.report import CapacityReport, StepResult, table_row
from benchmarks.capacity.ws_call import Through


@pytest.fixture(scope="module")
def short_caller():
    return synthesize_caller(("Hello there, my order is late.", "Thank you."), pause=1.5)


def test_a_tiny_run_reports_finite_cost_and_keeps_up(short_caller, tmp_path):
    config = RampConfig(
        start=3, step=3, maximum=3, seconds=2.0, processes=1, ramp_seconds=0.3, settle_seconds=0.5
    )
    report = run_ramp(config, short_caller, CapacityReport(config={}, machine={}))

    (step,) = report.steps
    assert step.sessions == 3 and step.processes == 1
    assert step.verdict == "real time" and step.sustained
    assert report.max_sustained == 3
    assert step.frames_dropped == 0 and step.errors == 0
    assert step.frames_measured >= 0.9 * step.frames_expected > 0
    for value in (step.cpu_percent_per_session, step.cpu_percent_total, step.lag_p50_ms, step.lag_p99_ms):
        assert math.isfinite(value) and value > 0
    assert math.isfinite(step.rss_mb_per_session) and step.rss_baseline_mb > 10  # the model is loaded
    assert step.vad_mean_batch is not None and step.vad_mean_batch >= 1

    written = json.loads(report.write(tmp_path).read_text())
    assert written["max_sessions_sustained"] == 3
    assert written["steps"][0]["frames_dropped"] == 0


def test_a_tiny_run_through_the_websocket_server_measures_the_same_things(short_caller):
    config = RampConfig(
        start=3,
        step=3,
        maximum=3,
        seconds=2.0,
        processes=1,
        ramp_seconds=0.3,
        settle_seconds=0.5,
        through=Through.PARLEY_WS,
        lag_limit_ms=1000.0,  # the verdict's pieces, not this loaded machine's lag, are under test
    )
    report = run_ramp(config, short_caller, CapacityReport(config={}, machine={}))

    (step,) = report.steps
    assert step.frames_dropped == 0 and step.errors == 0, step.error_samples
    assert step.frames_measured >= 0.9 * step.frames_expected > 0  # the lag probe sees frames over /ws
    assert math.isfinite(step.lag_p99_ms) and step.cpu_percent_per_session > 0


def test_the_percentile_sees_one_late_frame_among_a_hundred():
    lags = [0.002] * 99 + [0.080]
    histogram = LagHistogram.of(lags)
    assert histogram.percentile(0.50) == pytest.approx(0.002, abs=2e-4)
    assert histogram.percentile(0.99) == pytest.approx(0.002, abs=2e-4)
    assert histogram.percentile(1.0) == pytest.approx(0.080)
    histogram.record(0.090)  # now 2 of 101 are late: p99 is a late one
    assert histogram.percentile(0.99) == pytest.approx(0.080, abs=2e-4)
    assert math.isnan(LagHistogram().percentile(0.99))


def test_histograms_merge_across_workers_through_their_sparse_form():
    first, second = LagHistogram.of([0.001, 0.003]), LagHistogram.of([0.040, 7.0])
    merged = LagHistogram.from_sparse(json.loads(json.dumps(first.to_sparse())))
    merged.merge(LagHistogram.from_sparse(second.to_sparse()))
    assert merged.total == 4
    assert merged.max_seconds == 7.0
    assert merged.percentile(1.0) == 7.0  # beyond the tracked range: the maximum seen


def test_frame_lag_is_processing_time_minus_the_time_the_frame_was_due():
    now = [0.0]
    histogram = LagHistogram()
    recording = [False]
    probe = LagProbe(histogram, lambda: now[0], lambda: recording[0])
    probe.start(origin=10.0)
    now[0] = 10.025
    probe.frame_forwarded(media_end=0.020)  # outside the measurement window: ignored
    recording[0] = True
    now[0] = 10.047
    probe.frame_forwarded(media_end=0.040)  # due at 10.040, processed 7 ms later
    assert histogram.total == 1
    assert histogram.max_seconds == pytest.approx(0.007)


def _step(**changes: object) -> StepResult:
    ok = StepResult.failed(10, 1, "")
    ok = replace(ok, lag_p50_ms=2.0, lag_p99_ms=10.0, lag_max_ms=20.0, frames_measured=1000)
    return replace(ok, frames_expected=1000, **changes).judged(lag_limit_ms=50.0)


def test_a_step_falls_behind_on_p99_lag_a_dropped_frame_or_missing_frames():
    assert _step().sustained
    late = _step(lag_p99_ms=50.5)
    assert not late.sustained and "p99 lag 50.5 ms > 50 ms" in late.verdict
    dropped = _step(frames_dropped=1)
    assert not dropped.sustained and "1 frames dropped" in dropped.verdict
    starved = _step(frames_measured=500)
    assert not starved.sustained and "only 500 of 1000" in starved.verdict
    assert "verdict" not in table_row(late) and late.verdict in table_row(late)


def test_the_ramp_steps_and_the_split_over_processes():
    assert step_sizes(50, 100, 450) == [50, 100, 200, 300, 400]
    assert step_sizes(100, 100, 300) == [100, 200, 300]
    assert split_sessions(5, 2) == [3, 2]
    assert split_sessions(1, 4) == [1]
    with pytest.raises(ValueError):
        step_sizes(0, 100, 300)
