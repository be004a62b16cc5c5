"""The caller audio between two ``finalize()`` calls, cut down to the utterance before it is uploaded.

The pipeline streams all caller audio, and calls ``finalize()`` when its VAD hears the caller stop, so what
arrived since the last finalize is (long) silence, then the utterance, then a short tail. Sending the silence
costs upload time and invites hallucinated text, so the upload starts a little (``preroll``) before the
utterance: the last run of loud frames (level at least ``gate_dbfs``) in which quiet gaps are shorter than
``max_gap`` — a stray noise long before the utterance is left out. Nothing loud at all gives an empty upload.
The buffer keeps at most ``max_seconds`` (the oldest audio is dropped beyond that).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from pipeline.base.audio import AudioFrame


@dataclass(frozen=True, slots=True)
class _Frame:
    pcm: bytes
    seconds: float
    loud: bool


def level_dbfs(frame: AudioFrame) -> float:
    samples = frame.to_int16()
    if samples.size == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    return 20.0 * float(np.log10(max(rms, 1e-6) / 32768.0))


class UtteranceBuffer:
    def __init__(
        self,
        *,
        max_seconds: float = 30.0,
        gate_dbfs: float | None = -50.0,
        preroll: float = 0.3,
        max_gap: float = 1.5,
    ) -> None:
        self.max_seconds = max_seconds
        self.gate_dbfs = gate_dbfs  # None: no trimming, everything buffered is the utterance
        self.preroll = preroll
        self.max_gap = max_gap
        self._frames: deque[_Frame] = deque()
        self._seconds = 0.0

    @property
    def seconds(self) -> float:
        return self._seconds

    def push(self, frame: AudioFrame) -> None:
        loud = self.gate_dbfs is None or level_dbfs(frame) >= self.gate_dbfs
        self._frames.append(_Frame(frame.pcm, frame.duration, loud))
        self._seconds += frame.duration
        while self._seconds > self.max_seconds + 1e-9 and len(self._frames) > 1:
            self._seconds -= self._frames.popleft().seconds

    def take(self) -> bytes:
        """The utterance's PCM (empty when nothing was loud); the buffer starts over."""
        pcm = self.peek()
        self._frames.clear()
        self._seconds = 0.0
        return pcm

    def peek(self) -> bytes:
        """The utterance so far, leaving the buffer as it is (for interim transcripts of a long utterance)."""
        frames = list(self._frames)
        start = self._utterance_start(frames)
        return b"".join(frame.pcm for frame in frames[start:]) if start is not None else b""

    def _utterance_start(self, frames: list[_Frame]) -> int | None:
        last_loud = next((i for i in range(len(frames) - 1, -1, -1) if frames[i].loud), None)
        if last_loud is None:
            return None
        start, gap = last_loud, 0.0
        for index in range(last_loud - 1, -1, -1):
            if frames[index].loud:
                start, gap = index, 0.0
            else:
                gap += frames[index].seconds
                if gap >= self.max_gap:
                    break
        kept = 0.0
        while start > 0 and kept + frames[start - 1].seconds <= self.preroll + 1e-9:
            start -= 1
            kept += frames[start].seconds
        return start
