"""One benchmark call: a real ``Session`` on simulated providers, fed the looped caller audio in real time, its
agent audio drained as a transport would, and its events tallied.

The speech-to-text provider is the simulated one behind a thin wrapper that reports every frame the input stage
forwards to the ``LagProbe`` (see ``lag.py`` for the definition of frame lag).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio

from benchmarks.capacity.conversation import AGENT_REPLY, FRAME_SECONDS, RATE
from benchmarks.capacity.lag import LagProbe
from benchmarks.observe_modes import bench_observers
from pipeline.base.audio import AudioFrame
from pipeline.observe.events import ErrorEvent, FramesDropped, Interruption, SessionEnded, TurnMetrics
from pipeline.session.pipeline import Pipeline
from pipeline.session.session import Session
from pipeline.settings import SessionSettings
from providers.simulated import SimulatedLlm, SimulatedStt, SimulatedSttStream, SimulatedTts
from providers.stt import Transcript
from vad import Vad

STT_FINAL_DELAY = 0.1
LLM_TTFT = 0.1
LLM_TOKEN_INTERVAL = 0.02
TTS_TTFB = 0.1
TTS_SECONDS_PER_CHAR = 0.04
SCRIPTED_TURNS = 200  # replies scripted per call (far more than a step lasts)
HUNG_UP = "caller_hung_up"
MAX_ERROR_SAMPLES = 5  # the end reason of a call the benchmark ends


@dataclass
class Tally:
    """What the calls of one worker reported through their events."""

    frames_dropped: int = 0
    turns: int = 0
    interruptions: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)  # the first few error messages

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < MAX_ERROR_SAMPLES:
            self.error_samples.append(message)


class TimedSttStream:
    def __init__(self, inner: SimulatedSttStream, probe: LagProbe) -> None:
        self._inner = inner
        self._probe = probe

    async def push_audio(self, frame: AudioFrame) -> None:
        self._probe.frame_forwarded(frame.end_time)
        await self._inner.push_audio(frame)

    async def finalize(self) -> None:
        await self._inner.finalize()

    def transcripts(self) -> AsyncIterator[Transcript]:
        return self._inner.transcripts()


class TimedStt:
    """The simulated STT, reporting each forwarded caller frame to a lag probe."""

    def __init__(self, inner: SimulatedStt, probe: LagProbe) -> None:
        self._inner = inner
        self._probe = probe
        self.provider = inner.provider
        self.model = inner.model

    @asynccontextmanager
    async def stream(self, *, sample_rate: int) -> AsyncIterator[TimedSttStream]:
        async with self._inner.stream(sample_rate=sample_rate) as stream:
            yield TimedSttStream(stream, self._probe)


def call_pipeline(
    vad: Vad, probe: LagProbe, utterances: Sequence[str], settings: SessionSettings
) -> Pipeline:
    """A pipeline of its own for one call (the simulated providers keep per-script state), sharing ``vad``."""
    script = [utterances[turn % len(utterances)] for turn in range(SCRIPTED_TURNS)]
    return Pipeline(
        observers=bench_observers(),  # PARLEY_BENCH_OBSERVE: none | default | traced
        stt=TimedStt(SimulatedStt(script, final_delay=STT_FINAL_DELAY), probe),
        llm=SimulatedLlm([AGENT_REPLY] * SCRIPTED_TURNS, ttft=LLM_TTFT, token_interval=LLM_TOKEN_INTERVAL),
        tts=SimulatedTts(ttfb=TTS_TTFB, seconds_per_char=TTS_SECONDS_PER_CHAR),
        vad=vad,
        settings=settings,
    )


async def run_call(
    pipeline: Pipeline,
    probe: LagProbe,
    frames: Sequence[bytes],
    offset: int,
    tally: Tally,
    hang_up: anyio.Event,
    phase: float = 0.0,
) -> None:
    """Run one call until ``hang_up`` is set: caller audio from ``frames[offset]`` on, looped, in real time,
    the first frame arriving ``phase`` + 20 ms from now (calls are not aligned on a common 20 ms clock); then
    end the session (ending rather than cancelling it: a clean shutdown, like a caller hanging up)."""
    session = pipeline.session()
    events = session.events(FramesDropped, TurnMetrics, Interruption, ErrorEvent, SessionEnded)
    async with session, anyio.create_task_group() as group:
        group.start_soon(_drain, session)
        group.start_soon(_watch, events, tally)
        await _feed(session, probe, frames, offset, hang_up, phase)
        await session.end(HUNG_UP)


async def _feed(
    session: Session,
    probe: LagProbe,
    frames: Sequence[bytes],
    offset: int,
    hang_up: anyio.Event,
    phase: float,
) -> None:
    """Push frame ``k`` when its last sample exists in real time: at ``origin + (k + 1) * 20 ms``."""
    origin = anyio.current_time() + phase
    probe.start(origin)
    count = len(frames)
    for k in itertools.count():
        await anyio.sleep_until(origin + (k + 1) * FRAME_SECONDS)
        if hang_up.is_set():
            return
        if not session.push_audio(AudioFrame(frames[(offset + k) % count], RATE, k * FRAME_SECONDS)):
            return


async def _drain(session: Session) -> None:
    async for _ in session.audio_out():
        pass


async def _watch(events: AsyncIterator[object], tally: Tally) -> None:
    async for event in events:
        if isinstance(event, FramesDropped):
            tally.frames_dropped += 1  # one event per dropped frame
        elif isinstance(event, TurnMetrics):
            tally.turns += 1
        elif isinstance(event, Interruption):
            tally.interruptions += 1
        elif isinstance(event, ErrorEvent):
            tally.error(f"{event.source}/{event.code}: {event.message}")
        elif isinstance(event, SessionEnded) and event.reason != HUNG_UP:
            tally.error(f"session ended early: {event.reason} {event.error or ''}".strip())
