"""A simulated caller for virtual-time conversation tests: pushes audio in real time, records agent audio."""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio
import numpy as np

from pipeline.audio import AudioFrame
from pipeline.events import Event
from pipeline.session import Session
from tests.doubles import RATE, silence, tone

FRAME = 0.02


@dataclass
class Recording:
    frames: list[tuple[float, AudioFrame]] = field(default_factory=list)  # (clock time sent, frame)

    @property
    def seconds(self) -> float:
        return sum(frame.duration for _, frame in self.frames)

    def times(self) -> list[float]:
        return [at for at, _ in self.frames]

    def last_time(self) -> float:
        return self.frames[-1][0] if self.frames else float("nan")


class Caller:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.media_time = 0.0
        self.origin = anyio.current_time()

    def now(self) -> float:
        return anyio.current_time() - self.origin

    async def send(self, samples: np.ndarray) -> None:
        step = round(FRAME * RATE)
        for start in range(0, len(samples), step):
            chunk = samples[start : start + step]
            self.session.push_audio(AudioFrame.from_int16(chunk, RATE, self.media_time))
            self.media_time += len(chunk) / RATE
            await anyio.sleep(len(chunk) / RATE)

    async def speak(self, seconds: float) -> None:
        await self.send(tone(seconds))

    async def pause(self, seconds: float) -> None:
        await self.send(silence(seconds))


async def record_output(session: Session, recording: Recording) -> None:
    async for frame in session.audio_out():
        recording.frames.append((anyio.current_time(), frame))


async def collect_events(session: Session, into: list[Event]) -> None:
    async for event in session.events():
        into.append(event)
