"""Runs the benchmark: ``concurrency`` sessions at once (staggered a little so they do not all speak in step),
each playing the scenario's caller for ``turns`` turns, with a progress bar; returns one record per turn."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import anyio
from tqdm import tqdm

from benchmarks.latency.caller_audio import CallerVoice
from benchmarks.latency.driver import SessionDriver
from benchmarks.latency.expected import ExpectedTurn, expected_turn
from benchmarks.latency.profiles import CALLER_VOICE, Profile, TurnTaking, for_benchmark
from benchmarks.latency.records import TurnRecord, build_records
from benchmarks.latency.scenario import Scenario, TurnSpec
from benchmarks.latency.scenario_tools import scenario_tools
from benchmarks.latency.stacks import SessionStack, configured_stack, simulated_stack
from pipeline.observe.events import Event
from pipeline.session.pipeline import Pipeline
from vad import Vad, create_vad

CALLER_RATE = 16000
MAX_STAGGER = 0.2  # seconds between session starts (less with many sessions: all start within ~1 s)
WARMUP_TURN = TurnSpec(caller="Hello there.", agent="Hi. How can I help?")


@dataclass(frozen=True)
class BenchmarkPlan:
    scenario: Scenario
    profile: Profile | None  # simulated providers (None: ``config_path``)
    config_path: Path | None = None
    turns: int | None = None  # per session; None: the scenario's own turns
    concurrency: int = 1
    turn_taking: TurnTaking = field(default_factory=TurnTaking)
    caller_voice: str = CALLER_VOICE
    progress: bool = True
    warmup: bool = True  # one short unrecorded call first (imports, SDK clients, ONNX and caches warm up)

    def describe(self) -> dict[str, Any]:
        providers: dict[str, Any]
        if self.profile is not None:
            providers = {
                "mode": "simulated",
                "profile": self.profile.name,
                "description": self.profile.description,
                "latencies_s": asdict(self.profile.latencies),
                "adapters": "deepgram (nova), openai, elevenlabs (multi-context websocket) on loopback fakes",
            }
        else:
            providers = {"mode": "config", "config": str(self.config_path)}
        return {
            "scenario": self.scenario.name,
            "turns_per_session": len(self.scenario.expanded(self.turns)),
            "concurrency": self.concurrency,
            "providers": providers,
            "caller_voice": f"espeak-ng {self.caller_voice}",
            "warmup_call": self.warmup,
        }


@dataclass
class BenchmarkResult:
    records: list[TurnRecord]
    run: dict[str, Any]
    events: dict[int, list[Event]] = field(default_factory=dict)  # every session's events, by session index


def run_benchmark(plan: BenchmarkPlan) -> BenchmarkResult:
    """Blocking: runs the sessions on an asyncio event loop (the fakes and the ElevenLabs adapter need it).
    Raises CallerAudioError before anything starts when a caller turn cannot be synthesized or read."""
    voice = CallerVoice(CALLER_RATE, plan.caller_voice)
    for spec in [*plan.scenario.turns, WARMUP_TURN]:
        voice.utterance(plan.scenario, spec)  # synthesize up front, outside the timed sessions
    return anyio.run(_run, plan, voice, backend="asyncio")


async def _run(plan: BenchmarkPlan, voice: CallerVoice) -> BenchmarkResult:
    scenario = plan.scenario
    expanded = scenario.expanded(plan.turns)
    started_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    started = anyio.current_time()
    records: list[TurnRecord] = []
    events: dict[int, list[Event]] = {}
    expected = _expectations(plan)
    async with _stacks(plan) as stacks:
        turn_taking = stacks.turn_taking
        if plan.warmup:
            async with stacks.open() as stack:
                await SessionDriver(stack, scenario, [(0, WARMUP_TURN)], voice, session_index=-1).run()
        with tqdm(
            total=plan.concurrency * len(expanded), unit="turn", desc=scenario.name, disable=not plan.progress
        ) as bar:

            async def one_session(index: int) -> None:
                await anyio.sleep(index * min(MAX_STAGGER, 1.0 / plan.concurrency))
                async with stacks.open() as stack:
                    driver = SessionDriver(
                        stack,
                        scenario,
                        expanded,
                        voice,
                        session_index=index,
                        on_turn_done=lambda: bar.update(),
                    )
                    run = await driver.run()
                records.extend(build_records(run, expected))
                events[index] = run.observer.events

            async with anyio.create_task_group() as group:
                for index in range(plan.concurrency):
                    group.start_soon(one_session, index)
    records.sort(key=lambda record: (record.session, record.turn))
    run = plan.describe() | {
        "turn_taking": turn_taking,
        "started_at": started_at,
        "duration_s": round(anyio.current_time() - started, 3),
    }
    return BenchmarkResult(records, run, dict(sorted(events.items())))


def _expectations(plan: BenchmarkPlan) -> dict[int, ExpectedTurn] | None:
    if plan.profile is None:
        return None
    latencies = plan.profile.latencies
    endpointing = plan.turn_taking.endpointing_delay
    return {
        index: expected_turn(latencies, plan.scenario, spec, endpointing)
        for index, spec in enumerate(plan.scenario.turns)
    }


@dataclass(frozen=True)
class _Stacks:
    """Opens the stack of one session; ``turn_taking`` says what decides turns and barge-ins."""

    open: Callable[[], AbstractAsyncContextManager[SessionStack]]
    turn_taking: dict[str, Any]


@asynccontextmanager
async def _stacks(plan: BenchmarkPlan) -> AsyncIterator[_Stacks]:
    tools = scenario_tools(plan.scenario)
    if plan.profile is not None:
        latencies = plan.profile.latencies
        vad: Vad = create_vad(plan.turn_taking.vad_config())  # one batched Silero engine for all sessions
        settings = plan.turn_taking.session_settings(plan.scenario.instructions)
        yield _Stacks(lambda: simulated_stack(latencies, settings, tools, vad), plan.turn_taking.describe())
        return
    assert plan.config_path is not None
    pipeline = Pipeline.from_config(plan.config_path, tools=tools)
    pipeline.settings = for_benchmark(pipeline.settings, plan.scenario.instructions)
    async with pipeline:
        yield _Stacks(lambda: configured_stack(pipeline), pipeline.settings.turn.model_dump(mode="json"))
