"""Prometheus metrics from the event bus: scraped during and after calls."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from pipeline.observe.events import Interruption, ToolFinished, TurnMetrics
from pipeline.observe.prometheus import PrometheusMetrics
from tests.conversation import Call, converse, of_type
from tests.observed_call import weather_pipeline, weather_then_barge_in
from vad import BatchStats

pytestmark = pytest.mark.anyio


def scrape(metrics: PrometheusMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    samples = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_during_and_after_calls() -> None:
    metrics = PrometheusMetrics(CollectorRegistry())
    during: list[float] = []

    async def script(call_: Call) -> None:
        await call_.caller.pause(0.1)
        during.append(value(scrape(metrics), "parley_active_sessions"))
        await weather_then_barge_in(call_)

    calls = [await converse(weather_pipeline([metrics]), script) for _ in range(2)]

    samples = scrape(metrics)
    turns = sum(len(of_type(c.events, TurnMetrics)) for c in calls)
    assert during == [1.0, 1.0]
    assert value(samples, "parley_active_sessions") == 0.0
    assert value(samples, "parley_sessions_total", reason="ended") == 2.0
    assert turns >= 4
    assert value(samples, "parley_voice_to_voice_seconds_count") == turns
    for part in (
        "endpointing",
        "stt_wait",
        "llm_ttft",
        "tool_time",
        "llm_first_sentence",
        "tts_ttfb",
        "overhead",
    ):
        assert value(samples, "parley_turn_part_seconds_count", part=part) == turns
    total_v2v = sum(e.voice_to_voice for c in calls for e in of_type(c.events, TurnMetrics))
    assert value(samples, "parley_voice_to_voice_seconds_sum") == pytest.approx(total_v2v)
    assert (
        value(samples, "parley_interruptions_total")
        == sum(len(of_type(c.events, Interruption)) for c in calls)
        > 0
    )
    assert value(samples, "parley_tool_calls_total", tool="get_weather", status="ok") == sum(
        len(of_type(c.events, ToolFinished)) for c in calls
    )
    assert value(samples, "parley_event_loop_lag_seconds_count") > 0
    metrics.close()


def test_errors_and_dropped_frames_count_per_provider_and_channel() -> None:
    from pipeline.observe.events import (
        ErrorEvent,
        FramesDropped,
        ProviderAvailabilityChanged,
        SessionEnded,
        SessionStarted,
    )

    metrics = PrometheusMetrics(CollectorRegistry())
    from pipeline.observe.bus import EventBus
    from pipeline.observe.observer import CallInfo

    bus = EventBus("s1")
    tap = metrics.attach(CallInfo("s1"), bus)
    drops: dict[str, int] = {}
    base = {"timestamp": 0.0, "session_id": "s1"}
    metrics.observe(SessionStarted(**base, started_at="", providers={}, sample_rate=16000), tap, drops)
    for event in (
        ErrorEvent(**base, source="deepgram", code="rate_limited", message="x", recoverable=True),
        ErrorEvent(**base, source="deepgram", code="rate_limited", message="x", recoverable=True),
        FramesDropped(**base, channel="caller-audio", total=1),
        FramesDropped(**base, channel="caller-audio", total=5),
        ProviderAvailabilityChanged(**base, provider="openai", model="m", available=False, reason="down"),
        ProviderAvailabilityChanged(**base, provider="openai", model="m", available=True, reason="back"),
    ):
        metrics.observe(event, tap, drops)
    samples = scrape(metrics)
    assert value(samples, "parley_provider_errors_total", provider="deepgram", code="rate_limited") == 2
    assert value(samples, "parley_frames_dropped_total", channel="caller-audio") == 5
    assert value(samples, "parley_provider_reconnects_total", provider="openai") == 1
    logging.getLogger("providers.deepgram.connection").warning(
        "deepgram reconnect", extra={"parley_event": "reconnect", "provider": "deepgram"}
    )
    assert value(scrape(metrics), "parley_provider_reconnects_total", provider="deepgram") == 1
    assert value(samples, "parley_active_sessions") == 1
    vad = BatchingVad()
    metrics.watch_vad(vad)
    assert value(scrape(metrics), "parley_vad_batch_rows_total") == 12
    assert value(scrape(metrics), "parley_vad_batches_total") == 4
    metrics.close()
    tap.close()  # torn down without session_ended: no longer counted
    metrics.observe(SessionEnded(**base, reason="hangup"), tap, drops)
    samples = scrape(metrics)
    assert value(samples, "parley_active_sessions") == 0
    assert value(samples, "parley_sessions_total", reason="hangup") == 1


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_asgi_app_serves_the_exposition(anyio_backend: str) -> None:
    metrics = PrometheusMetrics(CollectorRegistry())
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/metrics", "query_string": b"", "headers": []}
    await metrics.asgi_app()(scope, receive, send)
    assert sent[0]["status"] == 200
    assert b"parley_active_sessions 0.0" in b"".join(m.get("body", b"") for m in sent)


class BatchingVad:
    def stats(self) -> BatchStats:
        return BatchStats(batches=4, rows=12, max_rows=5)


WORKER = """
import sys
from prometheus_client import CollectorRegistry
from pipeline.observe.events import SessionStarted, TurnMetrics
from pipeline.observe.prometheus import PrometheusMetrics
metrics = PrometheusMetrics(CollectorRegistry())
from pipeline.observe.bus import EventBus
from pipeline.observe.observer import CallInfo
tap = metrics.attach(CallInfo("s"), EventBus("s"))
base = {"timestamp": 0.0, "session_id": "s"}
for _ in range(int(sys.argv[1])):
    metrics.observe(SessionStarted(**base, started_at="", providers={}, sample_rate=16000), tap, {})
    tap = metrics.attach(CallInfo("s"), EventBus("s"))
metrics.voice_to_voice.observe(0.5)
print("ok", flush=True)
sys.stdin.readline()  # stay alive (a live worker) until told
"""


def test_multiprocess_mode_sums_the_live_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    env = {**os.environ}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(n)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in (2, 3)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ok"
        from prometheus_client import multiprocess

        metrics = PrometheusMetrics(CollectorRegistry())
        samples = scrape(metrics)
        assert value(samples, "parley_active_sessions") == 5
        assert value(samples, "parley_voice_to_voice_seconds_count") == 2
        workers[0].communicate("\n", timeout=30)
        multiprocess.mark_process_dead(workers[0].pid)
        assert value(scrape(metrics), "parley_active_sessions") == 3  # a dead worker's calls are gone
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.communicate("\n", timeout=30)
