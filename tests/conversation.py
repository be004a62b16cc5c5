"""A simulated caller for virtual-time conversation tests: pushes audio in real time, records agent audio."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import numpy as np

from pipeline.base.audio import AudioFrame
from pipeline.base.compute import inline_compute
from pipeline.observe.events import Event
from pipeline.session.pipeline import Pipeline
from pipeline.session.session import Session
from pipeline.settings import SessionSettings, TurnSettings
from tests.doubles import RATE, FakeTts, ScriptedLlm, ScriptedStt, silence, tone
from vad import EnergyVad, VadParams

FRAME = 0.02


@dataclass
class Recording:
    """Agent audio as it left the pipeline; frame timestamps are session times."""

    frames: list[AudioFrame] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(frame.duration for frame in self.frames)

    def between(self, start: float, end: float) -> list[AudioFrame]:
        return [frame for frame in self.frames if start <= frame.timestamp < end]


class Caller:
    """Pushes caller audio frame by frame, sleeping each frame's duration (virtual time in tests)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.media_time = 0.0

    async def send(self, samples: np.ndarray) -> None:
        step = round(FRAME * RATE)
        for start in range(0, len(samples), step):
            await self._push(samples[start : start + step])

    async def _push(self, chunk: np.ndarray) -> None:
        self.session.push_audio(AudioFrame.from_int16(chunk, RATE, self.media_time))
        self.media_time += len(chunk) / RATE
        await anyio.sleep(len(chunk) / RATE)

    async def speak(self, seconds: float) -> None:
        await self.send(tone(seconds))

    async def pause(self, seconds: float) -> None:
        await self.send(silence(seconds))

    async def pause_until(self, condition: Callable[[], bool], limit: float = 30.0) -> None:
        """Silence until ``condition()`` holds (checked every frame)."""
        waited = 0.0
        while not condition():
            if waited >= limit:
                raise AssertionError(f"condition not met within {limit} s of silence")
            await self._push(silence(FRAME))
            waited += FRAME


async def record_output(frames: AsyncIterator[AudioFrame], recording: Recording) -> None:
    async for frame in frames:
        recording.frames.append(frame)


async def collect_events(events: AsyncIterator[Event], into: list[Event]) -> None:
    async for event in events:
        into.append(event)


def of_type(events: list[Event], cls: type[Event]) -> list:  # type: ignore[type-arg]
    return [event for event in events if isinstance(event, cls)]


def lifecycle(events: list[Event]) -> list[str]:
    """Event types without metrics, transcripts deltas and state changes: the story of the call."""
    noise = {
        "vad_metrics",
        "stt_metrics",
        "llm_metrics",
        "tts_metrics",
        "endpointing_metrics",
        "turn_metrics",
        "usage_summary",
        "agent_transcript_delta",
        "user_state_changed",
        "agent_state_changed",
        "user_transcript",
    }
    return [event.type for event in events if event.type not in noise]


@dataclass
class Call:
    session: Session
    caller: Caller
    events: list[Event] = field(default_factory=list)
    recording: Recording = field(default_factory=Recording)

    def has(self, cls: type[Event], count: int = 1) -> Callable[[], bool]:
        """A condition for `Caller.pause_until`: `count` events of type `cls` have been published."""
        return lambda: len(of_type(self.events, cls)) >= count


async def run_call(
    pipeline: Pipeline,
    script: Callable[[Call], Awaitable[None]],
    limit: float | None = None,
    metadata: dict[str, str] | None = None,
) -> Call:
    """A session running `script`, then ended; its events and agent audio are recorded. With `limit`, the whole
    call must be over within that many seconds."""
    session = pipeline.session(metadata=metadata)
    subscription = session.events()  # subscribed before the start, so session_started is seen too
    with anyio.fail_after(limit):
        async with session, anyio.create_task_group() as group:
            call_ = Call(session, Caller(session))
            group.start_soon(collect_events, subscription, call_.events)
            # asked for now, not when the task first runs: the session drains speech at the end only for a reader
            group.start_soon(record_output, session.audio_out(), call_.recording)
            await script(call_)
            await session.end()
    return call_


async def converse(
    pipeline: Pipeline, script: Callable[[Call], Awaitable[None]], metadata: dict[str, str] | None = None
) -> Call:
    """`run_call` on the virtual clock: blocking work (sync tools) runs inline, so virtual time stays exact."""
    with inline_compute():
        return await run_call(pipeline, script, metadata=metadata)


def make_pipeline(
    stt: ScriptedStt,
    llm: ScriptedLlm,
    tts: FakeTts,
    *,
    tools: list[Any] | tuple[Any, ...] = (),
    settings: SessionSettings | None = None,
    vad_params: VadParams | None = None,
    **turn: Any,
) -> Pipeline:
    """Test doubles + energy VAD. Unless told otherwise: silence-only endpointing and no pausing on caller
    speech, so timings are simple to reason about."""
    turn.setdefault("detector", "silence")
    turn.setdefault("false_interruption_timeout", None)
    base = settings or SessionSettings()
    settings = base.model_copy(update={"turn": TurnSettings(**turn)})
    return Pipeline(stt=stt, llm=llm, tts=tts, vad=EnergyVad(vad_params), tools=tools, settings=settings)


def expected_heard(sentences: list[str], played: float, seconds_per_char: float) -> str:
    """Words whose last character was played, with FakeTts's exact per-character timing."""
    heard, offset = [], 0.0
    for sentence in sentences:
        position = 0
        for word in sentence.split():
            start = sentence.index(word, position)
            position = start + len(word)
            if offset + position * seconds_per_char <= played + 1e-9:
                heard.append(word)
        offset += len(sentence) * seconds_per_char
    return " ".join(heard)
