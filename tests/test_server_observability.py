"""The served app's observability: /metrics (scraped during and after a call), the recent-calls page, and a
record of the served call with the caller's number from the start message."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from pipeline.server.app import create_app
from pipeline.server.options import ServeOptions
from pipeline.server.plugins import metrics_app, observe, recent_calls_routes
from tests.doubles import RATE, silence, tone
from tests.server_harness import TOKEN, simple_pipeline

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def sample(text: str, name: str) -> float:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and not s.labels:
                return s.value
    return 0.0


async def test_metrics_calls_page_and_record_of_a_served_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARLEY_CALLS_DB", str(tmp_path / "calls.db"))
    monkeypatch.setenv("PARLEY_RECORDINGS", str(tmp_path / "rec"))
    monkeypatch.setenv("PARLEY_RECORDING", "on")
    pipeline = simple_pipeline()
    observe(pipeline)
    app = create_app(
        pipeline, ServeOptions(token=TOKEN), extra_routes=[recent_calls_routes], metrics_app=metrics_app()
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    base = f"http://127.0.0.1:{port}"
    async with anyio.create_task_group() as group, httpx.AsyncClient() as http:
        group.start_soon(server.serve, [sock])
        with anyio.fail_after(10):
            while not server.started:
                await anyio.sleep(0.01)
        before = (await http.get(f"{base}/metrics/")).text
        turns_before = sample(before, "parley_voice_to_voice_seconds_count")
        start = {
            "type": "start",
            "sample_rate": RATE,
            "encoding": "pcm16",
            "metadata": {"caller_number": "+15550100"},
        }
        async with connect(f"ws://127.0.0.1:{port}/ws?token={TOKEN}") as ws:
            await ws.send(json.dumps(start))
            session_id = json.loads(await ws.recv())["session_id"]
            events: list[dict[str, Any]] = []

            async def receive() -> None:
                async for message in ws:
                    if isinstance(message, str):
                        events.append(json.loads(message))

            group.start_soon(receive)
            during = (await http.get(f"{base}/metrics/")).text
            assert sample(during, "parley_active_sessions") == 1
            for chunk in (silence(0.2), tone(0.8)):
                for i in range(0, len(chunk), 320):
                    await ws.send(chunk[i : i + 320].tobytes())
                    await anyio.sleep(0.02)
            with anyio.fail_after(10):
                while not any(e["type"] == "agent_stopped_speaking" for e in events):
                    await ws.send(silence(0.02).tobytes())
                    await anyio.sleep(0.02)
            await ws.send(json.dumps({"type": "end"}))
            with anyio.fail_after(5):
                await ws.wait_closed()
        with anyio.fail_after(5):
            while sample((await http.get(f"{base}/metrics/")).text, "parley_active_sessions") != 0:
                await anyio.sleep(0.05)
        after = (await http.get(f"{base}/metrics/")).text
        turns = len([e for e in events if e["type"] == "turn_metrics"])
        assert turns >= 1
        assert sample(after, "parley_voice_to_voice_seconds_count") - turns_before == turns
        with anyio.fail_after(5):
            while True:
                listing = (await http.get(f"{base}/calls/calls.json")).json()
                if listing and listing[0]["status"] == "complete":
                    break
                await anyio.sleep(0.05)
        assert listing[0]["id"] == session_id and listing[0]["caller_number"] == "+15550100"
        page = (await http.get(f"{base}/calls/")).text
        assert session_id in page and "hello there" in page
        assert (tmp_path / "rec" / f"{session_id}.wav").stat().st_size > 44
        server.should_exit = True
    sock.close()


async def test_the_servers_lag_probe_feeds_the_event_loop_lag_histogram() -> None:
    from pipeline.observe.prometheus import PrometheusMetrics

    metrics = PrometheusMetrics()

    async def probe() -> None:
        await metrics.probe_event_loop_lag(interval=0.01)

    app = create_app(simple_pipeline(), ServeOptions(token=TOKEN), background=[probe])
    assert _count(metrics) == 0
    async with app.router.lifespan_context(app):  # what uvicorn runs around the server: the background tasks
        await anyio.sleep(0.05)  # the probe wakes every 10 ms
    assert _count(metrics) > 0


def _count(metrics: Any) -> float:
    (family,) = metrics.event_loop_lag.collect()
    return float(next(sample.value for sample in family.samples if sample.name.endswith("_count")))
