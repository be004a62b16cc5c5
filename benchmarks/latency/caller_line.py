"""The caller's side of the line: one frame every ``frame_ms`` on a fixed real-time schedule — silence, or the
utterance being spoken — pushed into the session the way a telephony transport would deliver it.

A frame pushed at time t carries the audio of [t - frame, t] (a transport delivers a frame once it has been
captured), so an utterance starts one frame before its first frame arrives and ends at the last frame's
arrival minus the padding after the speech: the times are those of the caller's first and last samples."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

import anyio
import numpy as np

from pipeline.base.audio import AudioFrame
from pipeline.session.session import Session

MAX_LATENESS = 0.1  # seconds behind schedule before the schedule restarts from now


class LineClosedError(RuntimeError):
    pass


class LineState(Enum):
    SILENT = "silent"  # pushing silence
    SPEAKING = "speaking"  # pushing an utterance's frames
    CLOSED = "closed"  # the run loop has stopped


@dataclass(frozen=True)
class Utterance:
    start: float  # session time of the caller's first sample (its frame arrived one frame later)
    end: float  # session time of the caller's last sample (its frame arrived with it)


class _Speaking:
    """The utterance being pushed: its frames, and when they went."""

    def __init__(self, frames: list[bytes], padding_seconds: float) -> None:
        self.frames = deque(frames)
        self.padding_seconds = padding_seconds
        self.start: float | None = None
        self.done = anyio.Event()
        self.utterance: Utterance | None = None


class CallerLine:
    def __init__(self, session: Session, sample_rate: int) -> None:
        """``sample_rate``: of the caller's audio (the session converts it to its own rate)."""
        self._session = session
        self._rate = sample_rate
        self._frame_samples = sample_rate * session.settings.audio.frame_ms // 1000
        self._frame_seconds = self._frame_samples / self._rate
        self._silence = bytes(2 * self._frame_samples)
        self._speaking: _Speaking | None = None
        self._media_time = 0.0
        self.state = LineState.SILENT

    async def speak(self, samples: np.ndarray) -> Utterance:
        """Say ``samples`` (int16 at the line's rate) in real time; returns once the last frame went out."""
        if self.state is not LineState.SILENT:
            raise RuntimeError(f"the caller cannot start speaking while the line is {self.state.value}")
        pad = (-len(samples)) % self._frame_samples
        pcm = np.concatenate([samples.astype(np.int16), np.zeros(pad, dtype=np.int16)]).tobytes()
        size = 2 * self._frame_samples
        frames = [pcm[offset : offset + size] for offset in range(0, len(pcm), size)]
        speaking = _Speaking(frames, pad / self._rate)
        self._speaking = speaking
        self.state = LineState.SPEAKING
        await speaking.done.wait()
        if speaking.utterance is None:
            raise LineClosedError("the session stopped taking caller audio mid-utterance")
        return speaking.utterance

    def close(self) -> None:
        self.state = LineState.CLOSED

    async def run(self) -> None:
        """Push frames until ``close``; stops early if the session stops taking audio."""
        due = anyio.current_time() + self._frame_seconds
        while self.state is not LineState.CLOSED:
            now = anyio.current_time()
            if now - due > MAX_LATENESS:
                due = now
            await anyio.sleep_until(due)
            if self.state is LineState.CLOSED or not self._push_next():
                break
            due += self._frame_seconds
        self.state = LineState.CLOSED
        if self._speaking is not None:
            self._speaking.done.set()  # unfinished: ``speak`` raises

    def _push_next(self) -> bool:
        speaking = self._speaking
        pcm = speaking.frames.popleft() if speaking is not None else self._silence
        accepted = self._session.push_audio(AudioFrame(pcm, self._rate, self._media_time))
        self._media_time += self._frame_seconds
        if speaking is None:
            return accepted
        arrived = self._session.now()
        if speaking.start is None:
            speaking.start = arrived - self._frame_seconds
        if not speaking.frames:
            speaking.utterance = Utterance(speaking.start, arrived - speaking.padding_seconds)
            self._speaking = None
            self.state = LineState.SILENT
            speaking.done.set()
        return accepted
