"""Call records: the record of a call with a tool call and a barge-in, in SQLite and in a real PostgreSQL; the
recording streamed to disk; a call killed mid-way."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path

import anyio
import numpy as np
import pytest

from pipeline.observe.events import AgentStoppedSpeaking, ToolFinished, TurnMetrics
from pipeline.records.connect import open_store
from pipeline.records.model import CallStatus
from pipeline.records.observer import CallRecords
from pipeline.records.recording import CallRecording, RecordingMode, repair_wav
from pipeline.records.store import CallStore
from tests.conversation import Call, of_type
from tests.observed_call import run_weather_call
from tests.postgres_server import postgres_server

pytestmark = pytest.mark.anyio


async def check_record(store: CallStore, done: Call, recordings: Path) -> None:
    record = await store.get(done.session.id)
    assert record is not None
    assert record.status is CallStatus.COMPLETE and not record.incomplete
    assert record.config_name == "weather-test"
    assert record.caller_number == "+15550100"
    assert record.end_reason == "ended"
    users = [e.text for e in record.transcript if e.role == "user"]
    agents = [e for e in record.transcript if e.role == "agent"]
    assert users == ["weather in paris", "stop please"]
    stopped = of_type(done.events, AgentStoppedSpeaking)
    assert [(a.text, a.heard_text, a.interrupted) for a in agents] == [
        (s.text, s.heard_text, s.interrupted) for s in stopped
    ]
    assert agents[0].interrupted and agents[0].heard_text != agents[0].text
    (tool_call,) = record.tool_calls
    (finished,) = of_type(done.events, ToolFinished)
    assert (tool_call.name, tool_call.arguments, tool_call.status, tool_call.result) == (
        "get_weather",
        '{"city":"Paris"}',
        "ok",
        finished.result,
    )
    metrics = of_type(done.events, TurnMetrics)
    assert [t["voice_to_voice"] for t in record.turns] == [m.voice_to_voice for m in metrics]
    assert {u["kind"] for u in record.usage} == {"stt", "llm", "tts"}
    assert record.events[0].type == "session_started" and record.events[-1].type == "session_ended"
    assert record.recording_path == str(recordings / f"{done.session.id}.wav")
    (summary,) = await store.list_calls()
    assert summary.id == done.session.id and summary.turns == len(metrics)


def active(track: np.ndarray, rate: int) -> np.ndarray:
    """Per 10 ms: is there sound?"""
    step = rate // 100
    windows = track[: len(track) // step * step].reshape(-1, step).astype(np.float64)
    return np.sqrt((windows**2).mean(axis=1)) > 50


def stereo(path: str | Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, wav.getnchannels())
        return samples, wav.getframerate()


async def test_sqlite_record_and_recording_of_a_call(tmp_path: Path) -> None:
    store = open_store(tmp_path / "calls.db")
    recordings = tmp_path / "recordings"
    done = await run_weather_call(
        [CallRecords(store, recordings=recordings, mode="on")], metadata={"caller_number": "+15550100"}
    )
    await check_record(store, done, recordings)
    samples, rate = stereo(recordings / f"{done.session.id}.wav")
    assert samples.shape[1] == 2
    # The caller's tone is on the left, the agent's speech on the right, each where it happened.
    caller_active, agent_active = active(samples[:, 0], rate), active(samples[:, 1], rate)
    assert caller_active[35:125].all()  # the caller's first second of tone, from 0.3 s
    assert not caller_active[140:200].any()
    first_agent = of_type(done.events, AgentStoppedSpeaking)[0]
    start = round((first_agent.timestamp - first_agent.played_seconds) * 100)
    # within 20 ms: a 10 ms bin the speech starts inside may fall either side of the activity threshold
    assert not agent_active[: start - 2].any() and agent_active[start + 2 : start + 50].all()
    assert await store.delete(done.session.id)
    assert await store.get(done.session.id) is None
    assert not (recordings / f"{done.session.id}.wav").exists()
    assert not await store.delete(done.session.id)


async def test_recording_modes_write_one_side_or_nothing(tmp_path: Path) -> None:
    for mode in ("caller", "agent", "off"):
        store = open_store(tmp_path / f"{mode}.db")
        recordings = tmp_path / mode
        done = await run_weather_call([CallRecords(store, recordings=recordings, mode=mode)])
        record = await store.get(done.session.id)
        assert record is not None
        if mode == "off":
            assert record.recording_path is None and not recordings.exists()
            continue
        samples, _ = stereo(record.recording_path or "")
        assert samples.shape[1] == 1 and np.abs(samples).max() > 0


def test_the_recording_memory_is_bounded(tmp_path: Path) -> None:
    from pipeline.base.audio import AudioFrame

    recording = CallRecording(tmp_path / "long.wav", 16000, RecordingMode.ON)
    frame = np.full(320, 1000, dtype=np.int16)
    for i in range(50 * 600):  # ten minutes of caller audio, agent speaking half the time
        recording.caller(AudioFrame.from_int16(frame, 16000, i * 0.02))
        if (i // 500) % 2:
            recording.agent(AudioFrame.from_int16(frame, 16000, i * 0.02))
        held = sum(len(c) for c in recording._caller)
        assert held <= 2 * 16000
    recording.close()
    samples, rate = stereo(tmp_path / "long.wav")
    assert len(samples) == 600 * rate
    assert recording.late_agent_samples == 0


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    yield from postgres_server()


@pytest.mark.vendor_sdk  # asyncpg runs on asyncio
async def test_postgres_record_of_a_call(postgres_url: str, tmp_path: Path) -> None:
    store = open_store(postgres_url)
    recordings = tmp_path / "recordings"
    try:
        done = await run_weather_call(
            [CallRecords(store, recordings=recordings, mode="on")], metadata={"caller_number": "+15550100"}
        )
        await check_record(store, done, recordings)
        assert await store.delete(done.session.id) and await store.get(done.session.id) is None
        again = open_store(postgres_url)  # a second worker: migrations already applied, nothing to do
        assert await again.list_calls() == []
        await again.aclose()
    finally:
        await store.aclose()


KILLED_CALL = """
import os, sys, anyio
sys.path.insert(0, {root!r})
from trio.testing import MockClock
from pipeline.observe.events import AgentStartedSpeaking
from pipeline.records.connect import open_store
from pipeline.records.observer import CallRecords
from tests.conversation import converse
from tests.observed_call import weather_pipeline

async def script(call_):
    await call_.caller.pause(0.3)
    await call_.caller.speak(1.0)
    await call_.caller.pause_until(call_.has(AgentStartedSpeaking))
    await call_.caller.pause(6.0)  # the first answer has played out; the caller is still on the line
    print(call_.session.id, flush=True)
    os._exit(9)  # killed mid-call: no cleanup of any kind

store = open_store({db!r})
pipeline = weather_pipeline([CallRecords(store, recordings={recordings!r}, mode="on")])
anyio.run(converse, pipeline, script, backend="trio", backend_options={{"clock": MockClock(autojump_threshold=0)}})
"""


async def test_a_call_killed_mid_way_leaves_an_incomplete_record_and_a_recording_that_plays(
    tmp_path: Path,
) -> None:
    root = str(Path(__file__).resolve().parents[1])
    db, recordings = tmp_path / "calls.db", tmp_path / "recordings"
    code = KILLED_CALL.format(root=root, db=str(db), recordings=str(recordings))
    result = await anyio.to_thread.run_sync(
        lambda: subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=root
        )
    )
    assert result.returncode == 9, result.stderr
    session_id = result.stdout.split()[-1]
    record = await open_store(db).get(session_id)
    assert record is not None
    assert record.incomplete and record.status is CallStatus.IN_PROGRESS and record.end_reason is None
    assert (record.transcript[0].role, record.transcript[0].text) == ("user", "weather in paris")
    assert [e.role for e in record.transcript] == ["user", "agent"]
    path = Path(record.recording_path or "")
    samples, rate = stereo(path)  # plays as it is: the header describes the blocks written
    assert len(samples) >= 2 * rate
    assert repair_wav(path) >= len(samples) / rate
    assert stereo(path)[0].shape == (os.path.getsize(path) // 4 - 11, 2)
