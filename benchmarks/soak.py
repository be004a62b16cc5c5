"""Soak: N sessions of looping real-time conversations for T minutes, with faults injected at random, in one
process on asyncio (the real clock). Reports resident memory per session over time (and its slope), open file
descriptors, asyncio tasks, lost turns and event-loop lag.

    uv run python -m benchmarks.soak --sessions 100 --minutes 10
    uv run python -m pipeline bench soak --sessions 100 --minutes 10

Providers are the simulated ones (``providers.simulated``) behind a ``FallbackLlm``, so what is measured is the
runtime itself: sessions, stages, the event bus, the floor controller, teardown. Faults, each at random per turn
or per call:
- provider drops: the primary LLM fails before its first token (the fallback answers) or, with no fallback left,
  the turn fails with an error event;
- slow first bytes: the LLM's first token comes 1.5 s late;
- caller hang-ups: the call ends in the middle (possibly while the agent speaks) and a new one starts.

A caller turn is *lost* when, by the time the caller speaks again (or hangs up), the turn got neither agent speech
nor an error event. Lag is how late a 50 ms sleep of a watchdog task wakes up (every session shares the loop).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import anyio

from benchmarks.capacity.procstats import resident_bytes
from pipeline import Pipeline
from pipeline.base.audio import AudioFrame
from pipeline.observe.events import AgentStartedSpeaking, EndOfUserTurn, ErrorEvent, Event
from pipeline.session.session import Session
from pipeline.settings import SessionSettings, TurnSettings
from providers.errors import ErrorCode, ProviderError
from providers.fallback import FallbackLlm
from providers.simulated import RATE, SimulatedLlm, SimulatedStt, SimulatedTts, silence, tone
from vad import EnergyVad

FRAME = 0.02
LINE = "I would like to check on my order please"
REPLY = "Sure, let me check that for you. One moment."


@dataclass
class Faults:
    drop: float = 0.1  # per turn: the primary LLM fails before its first token
    slow_first_byte: float = 0.1  # per turn: 1.5 s to the first token
    hang_up: float = 0.05  # per turn: the caller hangs up while it is being answered
    both_down: float = 0.02  # per turn: the fallback fails too (the turn ends in an error event)


@dataclass
class Totals:
    calls: int = 0
    turns: int = 0
    answered: int = 0
    errored: int = 0
    lost: int = 0
    hang_ups: int = 0
    lag: list[float] = field(default_factory=list)


@dataclass
class Sample:
    minute: float
    rss_mb: float
    rss_per_session_kb: float
    fds: int
    tasks: int
    lag_p99_ms: float
    lag_max_ms: float
    turns: int
    lost: int


def _llms(rng: random.Random, faults: Faults, turns: int) -> FallbackLlm:
    primary: list[Any] = []
    backup: list[Any] = []
    for _ in range(turns):
        roll = rng.random()
        drop = ProviderError("primary", "dropped", code=ErrorCode.CONNECTION_LOST)
        if roll < faults.both_down:
            primary.append(drop)
            backup.append(ProviderError("backup", "dropped", code=ErrorCode.CONNECTION_LOST))
        elif roll < faults.both_down + faults.drop:
            primary.append(drop)
            backup.append(REPLY)
        else:
            primary.append(REPLY)
    slow = rng.random() < faults.slow_first_byte
    first = SimulatedLlm(primary, ttft=1.5 if slow else 0.3, provider="primary")
    second = SimulatedLlm(backup, ttft=0.3, provider="backup")
    return FallbackLlm([first, second], recovery_after=0.0)


async def _caller(
    session: Session, turns: int, hang_up_at: int | None, totals: Totals, seen: list[Event]
) -> None:
    """Speak a line, listen, again; at ``hang_up_at`` hang up in the middle of the answer."""
    origin = time.monotonic()
    media = 0.0

    async def send(samples: Any) -> None:
        nonlocal media
        step = round(FRAME * RATE)
        for start in range(0, len(samples), step):
            session.push_audio(AudioFrame.from_int16(samples[start : start + step], RATE, media))
            media += step / RATE
            await anyio.sleep(max(0.0, origin + media - time.monotonic()))

    for turn in range(turns):
        before = len(seen)
        await send(tone(1.2))
        if hang_up_at == turn:
            await send(silence(0.9))  # the agent is answering (or about to)
            totals.hang_ups += 1
            return
        await send(silence(3.5))
        _count_turn(seen[before:], totals)


def _count_turn(events: list[Event], totals: Totals) -> None:
    if not any(isinstance(e, EndOfUserTurn) for e in events):
        return  # the caller's line was not taken as a turn (e.g. merged): nothing to answer
    totals.turns += 1
    if any(isinstance(e, AgentStartedSpeaking) for e in events):
        totals.answered += 1
    elif any(isinstance(e, ErrorEvent) for e in events):
        totals.errored += 1
    else:
        totals.lost += 1


async def _slot(slot: int, deadline: float, faults: Faults, totals: Totals, seed: int) -> None:
    rng = random.Random(seed * 1000 + slot)
    await anyio.sleep(rng.random() * 4.0)  # callers do not all start together
    while time.monotonic() < deadline:
        turns = rng.randint(3, 6)
        hang_up_at = rng.randrange(turns) if rng.random() < faults.hang_up * turns else None
        settings = SessionSettings(turn=TurnSettings(detector="silence", false_interruption_timeout=None))
        pipeline = Pipeline(
            stt=SimulatedStt([LINE] * turns),
            llm=_llms(rng, faults, turns),
            tts=SimulatedTts(),
            vad=EnergyVad(),
            settings=settings,
        )
        totals.calls += 1
        await _one_call(pipeline, turns, hang_up_at, totals)


async def _one_call(pipeline: Pipeline, turns: int, hang_up_at: int | None, totals: Totals) -> None:
    session = pipeline.session()
    seen: list[Event] = []
    events = session.events()
    async with anyio.create_task_group() as group:

        async def collect() -> None:
            async for event in events:
                seen.append(event)

        async def listen() -> None:
            async for _ in session.audio_out():
                pass

        group.start_soon(collect)
        async with session:
            group.start_soon(listen)
            await _caller(session, turns, hang_up_at, totals, seen)
            await session.end()


async def _watch_lag(totals: Totals, stop: anyio.Event) -> None:
    while not stop.is_set():
        asked = time.monotonic()
        await anyio.sleep(0.05)
        totals.lag.append(time.monotonic() - asked - 0.05)


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _p99(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


async def soak(sessions: int, minutes: float, faults: Faults, sample_every: float, seed: int) -> list[Sample]:
    totals = Totals()
    samples: list[Sample] = []
    start = time.monotonic()
    deadline = start + minutes * 60
    stop = anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(_watch_lag, totals, stop)
        for slot in range(sessions):
            group.start_soon(_slot, slot, deadline, faults, totals, seed)
        while time.monotonic() < deadline:
            await anyio.sleep(sample_every)
            lag, totals.lag = totals.lag, []
            rss = resident_bytes()
            sample = Sample(
                minute=round((time.monotonic() - start) / 60, 2),
                rss_mb=round(rss / 2**20, 1),
                rss_per_session_kb=round(rss / 1024 / sessions, 1),
                fds=_fds(),
                tasks=len(asyncio.all_tasks()),
                lag_p99_ms=round(_p99(lag) * 1000, 1),
                lag_max_ms=round(max(lag, default=0.0) * 1000, 1),
                turns=totals.turns,
                lost=totals.lost,
            )
            samples.append(sample)
            print(json.dumps(asdict(sample)), flush=True)
        stop.set()
    print(json.dumps({"totals": {k: v for k, v in asdict(totals).items() if k != "lag"}}), flush=True)
    return samples


def slope_mb_per_hour_per_session(samples: list[Sample], sessions: int) -> float | None:
    """Least-squares slope of RSS over time, after the first quarter of the run (the warm-up)."""
    steady = samples[len(samples) // 4 :]
    if len(steady) < 3:
        return None
    xs = [s.minute / 60 for s in steady]
    ys = [s.rss_mb for s in steady]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    if var == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / var
    return slope / sessions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="parley bench soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--sample-every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="write the samples and summary as JSON here")
    args = parser.parse_args(argv)
    samples = anyio.run(soak, args.sessions, args.minutes, Faults(), args.sample_every, args.seed)
    slope = slope_mb_per_hour_per_session(samples, args.sessions)
    summary = {
        "sessions": args.sessions,
        "minutes": args.minutes,
        "rss_slope_mb_per_hour_per_session": None if slope is None else round(slope, 4),
        "lag_p99_ms_worst_sample": max((s.lag_p99_ms for s in samples), default=None),
        "fds_first_last": [samples[0].fds, samples[-1].fds] if samples else None,
        "tasks_first_last": [samples[0].tasks, samples[-1].tasks] if samples else None,
    }
    print(json.dumps({"summary": summary}), flush=True)
    if args.out:
        args.out.write_text(
            json.dumps({"samples": [asdict(s) for s in samples], "summary": summary}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
