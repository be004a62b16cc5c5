"""``bench capacity --through serve``: a tiny step against a real ``parley serve --workers 2`` child process
(the callers in this test's process), and a clear error when there is no server to measure."""

from __future__ import annotations

import json
import math
import os
import subprocess

import pytest

from benchmarks.capacity.conversation import synthesize_caller
from benchmarks.capacity.ramp import RampConfig
from benchmarks.capacity.serve_process import ServeBenchError, free_port
from benchmarks.capacity.serve_ramp import ServeReport, measure_step, run_serve_step, serve_table_row

TINY = RampConfig(
    start=2, step=2, maximum=2, seconds=2.0, processes=2, ramp_seconds=0.3, settle_seconds=0.5,
    lag_limit_ms=1000.0,  # the report's pieces, not this shared machine's lag, are under test
)  # fmt: skip


@pytest.fixture(scope="module")
def short_caller():
    return synthesize_caller(("Hello there, my order is late.", "Thank you."), pause=1.5)


def test_a_tiny_step_through_the_real_server_reports_the_servers_own_cost(short_caller, tmp_path):
    step = run_serve_step(
        2, TINY, short_caller
    )  # starts `python -m pipeline serve --workers 2`, then stops it

    assert step.sessions == 2 and step.workers == 2 and step.calls_connected == 2
    assert step.errors == 0 and step.frames_dropped == 0, step.error_samples
    for value in (step.server_cpu_percent, step.server_cpu_percent_per_session, step.client_cpu_percent):
        assert math.isfinite(value) and value > 0
    assert step.server_rss_baseline_mb > 100  # the parent and two workers, each with Silero loaded
    assert math.isfinite(step.server_rss_mb_per_session)
    assert step.seconds > 0 and step.verdict in serve_table_row(step)

    report = ServeReport(config={}, machine={}, steps=[step])
    written = json.loads(report.write(tmp_path).read_text())
    (row,) = written["steps"]
    assert row["sessions"] == 2 and row["server_cpu_percent"] > 0
    assert written["server_cpu_projection_sessions"] > 0
    assert "compete" in written["note"]


def test_no_server_process_is_a_clear_error(short_caller):
    gone = subprocess.Popen(["true"])
    gone.wait()
    with pytest.raises(ServeBenchError, match=f"no server process {gone.pid}"):
        measure_step(free_port(), gone.pid, 2, TINY, short_caller)


def test_nothing_listening_on_the_port_is_a_clear_error(short_caller):
    with pytest.raises(
        ServeBenchError, match=r"cannot read http://127\.0\.0\.1:\d+/metrics/ \(is `parley serve`"
    ):
        measure_step(free_port(), os.getpid(), 2, TINY, short_caller)


@pytest.mark.parametrize(("stack", "media"), [("uvicorn", "binary"), ("websockets", "twilio")])
def test_the_transport_floor_measures_a_bare_server_child(stack: str, media: str) -> None:
    from benchmarks.capacity.transport_floor import measure

    per_call_second_ms = measure(stack, calls=2, seconds=1.0, warm_up=0.3, media=media)
    assert 0.0 < per_call_second_ms < 1000.0  # CPU of the server child only, per call and second
