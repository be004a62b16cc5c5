"""Many streams on the shared session: independent state, batching across streams, bounded batch wait."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import anyio
import anyio.lowlevel
import numpy as np
import pytest
from trio.testing import MockClock

from tests.speech_audio import conversation
from vad import BatchedSileroEngine, SileroEngine, VadResult, VadStream

pytestmark = pytest.mark.timeout(60)  # a broken batcher deadlocks rather than failing


def trio_virtual() -> tuple[str, dict[str, object]]:
    return ("trio", {"clock": MockClock(autojump_threshold=0)})


@pytest.fixture(params=["asyncio", "trio-virtual"])
def anyio_backend(request: pytest.FixtureRequest) -> object:
    return "asyncio" if request.param == "asyncio" else trio_virtual()


TEXTS = [
    "My name is Anna.",
    "We are open until nine.",
    "Yes, that works for me.",
    "I need a taxi to the airport.",
    "Good morning.",
    "Where is the station?",
]


@dataclass(frozen=True)
class Session:
    audio: np.ndarray
    sample_rate: int
    chunk: int


def sessions() -> list[Session]:
    """Different speech, noise, sample rates and chunk sizes per session."""
    result = []
    for index, text in enumerate(TEXTS):
        sample_rate = 8000 if index % 3 == 2 else 16000
        track = conversation([0.2 + 0.1 * index, text, 0.4], sample_rate)
        noise = np.random.default_rng(index).normal(0.0, 40.0, track.samples.size)
        audio = np.clip(track.samples + noise, -32768, 32767).astype(np.int16)
        chunk = [sample_rate // 50, sample_rate // 100, 700][index % 3]
        result.append(Session(audio, sample_rate, chunk))
    return result


def chunks(session: Session) -> list[tuple[np.ndarray, float]]:
    step = session.chunk
    return [
        (session.audio[i : i + step], i / session.sample_rate) for i in range(0, session.audio.size, step)
    ]


def decisions(results: Sequence[VadResult]) -> list[tuple[object, ...]]:
    return [
        (r.state, r.event and (r.event.kind, round(r.event.time, 9)), round(r.window_end, 9)) for r in results
    ]


async def separate_run(session: Session) -> list[VadResult]:
    stream = SileroEngine.shared().create_stream(session.sample_rate)
    results: list[VadResult] = []
    for samples, timestamp in chunks(session):
        results += await stream.process(samples, timestamp)
    stream.close()
    return results


@pytest.mark.anyio
async def test_interleaved_unbatched_streams_equal_separate_runs() -> None:
    all_sessions = sessions()
    expected = [await separate_run(s) for s in all_sessions]
    engine = SileroEngine.shared()
    streams = [engine.create_stream(s.sample_rate) for s in all_sessions]
    pending = [chunks(s) for s in all_sessions]
    got: list[list[VadResult]] = [[] for _ in all_sessions]
    order = random.Random(3)
    while any(pending):
        index = order.choice([i for i, queue in enumerate(pending) if queue])
        samples, timestamp = pending[index].pop(0)
        got[index] += await streams[index].process(samples, timestamp)
    for mine, reference in zip(got, expected, strict=True):
        assert [r.probability for r in mine] == [r.probability for r in reference]
        assert decisions(mine) == decisions(reference)
    assert any(r.event for results in got for r in results)  # the comparison covers speech events


async def run_concurrently(
    engine: BatchedSileroEngine, all_sessions: list[Session], seed: int, virtual_time: bool
) -> list[list[VadResult]]:
    streams = [engine.create_stream(s.sample_rate) for s in all_sessions]
    got: list[list[VadResult]] = [[] for _ in all_sessions]

    async def session_task(index: int) -> None:
        jitter = random.Random(seed * 100 + index)
        for samples, timestamp in chunks(all_sessions[index]):
            if virtual_time:
                await anyio.sleep(jitter.choice([0.0, 0.001, 0.002, 0.02]))
            else:  # no wall-clock sleeping in tests: just reorder the tasks
                for _ in range(jitter.randrange(3)):
                    await anyio.lowlevel.checkpoint()
            got[index] += await streams[index].process(samples, timestamp)
        streams[index].close()

    async with anyio.create_task_group() as group:
        for index in range(len(all_sessions)):
            group.start_soon(session_task, index)
    return got


@pytest.mark.anyio
@pytest.mark.parametrize("offload_min_rows", [None, 2], ids=["inline", "worker-thread"])
async def test_batched_streams_equal_unbatched_separate_runs(
    anyio_backend: object, offload_min_rows: int | None
) -> None:
    all_sessions = sessions()
    expected = [await separate_run(s) for s in all_sessions]
    engine = BatchedSileroEngine(max_wait=0.003, offload_min_rows=offload_min_rows)
    got = await run_concurrently(engine, all_sessions, seed=1, virtual_time=anyio_backend != "asyncio")
    for mine, reference in zip(got, expected, strict=True):
        np.testing.assert_allclose(
            [r.probability for r in mine], [r.probability for r in reference], atol=1e-5, rtol=0
        )
        assert decisions(mine) == decisions(reference)
    stats = engine.stats
    assert stats.max_rows >= 3  # windows of different streams really ran together
    assert stats.rows == sum(1 for results in got for r in results if r.scored)
    if offload_min_rows is not None:
        assert stats.offloaded_batches > 0


def window(sample_rate: int = 16000) -> np.ndarray:
    samples = 512 if sample_rate == 16000 else 256
    return (np.sin(np.arange(samples) * 0.3) * 8000).astype(np.int16)


async def timed_process(stream: VadStream, finished: dict[str, float], name: str) -> None:
    results = await stream.process(window(stream.sample_rate), 0.0)
    assert len(results) == 1
    finished[name] = anyio.current_time()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", [trio_virtual()])
async def test_window_waits_at_most_max_wait_for_partners() -> None:
    engine = BatchedSileroEngine(max_wait=0.004)
    lonely, idle = engine.create_stream(), engine.create_stream()
    started = anyio.current_time()
    finished: dict[str, float] = {}
    await timed_process(lonely, finished, "lonely")  # `idle` never sends audio
    assert finished["lonely"] - started == pytest.approx(0.004)
    assert engine.stats.batches == 1 and engine.stats.max_rows == 1
    # when every attached stream has a window pending, the batch runs at once
    started = anyio.current_time()
    async with anyio.create_task_group() as group:
        group.start_soon(timed_process, lonely, finished, "a")
        group.start_soon(timed_process, idle, finished, "b")
    assert finished["a"] == finished["b"] == pytest.approx(started)
    assert engine.stats.max_rows == 2


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", [trio_virtual()])
async def test_full_batch_runs_without_waiting_and_rates_batch_separately() -> None:
    engine = BatchedSileroEngine(max_wait=0.5, max_batch=2)
    wide = [engine.create_stream(16000) for _ in range(3)]
    narrow = [engine.create_stream(8000) for _ in range(2)]
    finished: dict[str, float] = {}
    started = anyio.current_time()
    async with anyio.create_task_group() as group:
        group.start_soon(timed_process, wide[0], finished, "w0")
        group.start_soon(timed_process, wide[1], finished, "w1")
        group.start_soon(timed_process, narrow[0], finished, "n0")
        group.start_soon(timed_process, narrow[1], finished, "n1")
    assert all(t == pytest.approx(started) for t in finished.values())  # wide[2] idle: max_batch sealed it
    assert engine.stats.batches == 2 and engine.stats.max_rows == 2


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", [trio_virtual()])
async def test_closing_an_idle_stream_releases_the_waiting_batch() -> None:
    engine = BatchedSileroEngine(max_wait=1.0)
    waiting, leaving = engine.create_stream(), engine.create_stream()
    finished: dict[str, float] = {}
    started = anyio.current_time()

    async def leave_later() -> None:
        await anyio.sleep(0.1)
        leaving.close()

    async with anyio.create_task_group() as group:
        group.start_soon(timed_process, waiting, finished, "waiting")
        group.start_soon(leave_later)
    assert finished["waiting"] - started == pytest.approx(0.1)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", [trio_virtual()])
async def test_cancelled_caller_does_not_corrupt_the_stream() -> None:
    session = sessions()[0]
    expected = await separate_run(session)
    engine = BatchedSileroEngine(max_wait=0.004)
    stream = engine.create_stream(session.sample_rate)
    engine.create_stream(session.sample_rate)  # an idle partner makes every window wait max_wait
    got: list[VadResult] = []
    with anyio.fail_after(60):  # virtual time: a deadlocked batch fails at once
        for index, (samples, timestamp) in enumerate(chunks(session)):
            if index % 5 == 0:
                with anyio.move_on_after(0.001):  # cancelled while its window waits for the batch
                    got += await stream.process(samples, timestamp)
            else:
                got += await stream.process(samples, timestamp)
    np.testing.assert_allclose(
        [r.probability for r in got], [r.probability for r in expected], atol=1e-5, rtol=0
    )
    assert decisions(got) == decisions(expected)


@pytest.mark.anyio
async def test_concurrent_process_on_one_stream_is_refused() -> None:
    engine = BatchedSileroEngine(max_wait=0.002)
    stream = engine.create_stream()
    engine.create_stream()  # idle partner: the first call waits for the batch
    errors: list[Exception] = []

    async def second_call() -> None:
        try:
            await stream.process(window(), 0.032)
        except RuntimeError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as group:
        group.start_soon(stream.process, window(), 0.0)
        await anyio.lowlevel.checkpoint()
        group.start_soon(second_call)
    assert len(errors) == 1 and "not re-entrant" in str(errors[0])
