"""Records a call on one timeline: caller audio on the left channel, agent audio on the right."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.base.audio import AudioFrame, write_stereo_wav


class CallRecorder:
    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._caller: list[tuple[int, np.ndarray]] = []
        self._agent: list[tuple[int, np.ndarray]] = []

    def caller(self, frame: AudioFrame, at: float) -> None:
        """A caller frame pushed at session time ``at`` (seconds)."""
        self._caller.append((round(at * self.sample_rate), frame.to_int16()))

    def agent(self, frame: AudioFrame) -> None:
        """An agent frame; its timestamp is the session time it left the pipeline."""
        self._agent.append((round(frame.timestamp * self.sample_rate), frame.to_int16()))

    @property
    def agent_seconds(self) -> float:
        return sum(len(samples) for _, samples in self._agent) / self.sample_rate

    def tracks(self) -> tuple[np.ndarray, np.ndarray]:
        return _render(self._caller), _render(self._agent)

    def write(self, path: str | Path) -> None:
        left, right = self.tracks()
        write_stereo_wav(path, left, right, self.sample_rate)


def _render(pieces: list[tuple[int, np.ndarray]]) -> np.ndarray:
    if not pieces:
        return np.zeros(0, dtype=np.int16)
    length = max(start + len(samples) for start, samples in pieces)
    track = np.zeros(length, dtype=np.int16)
    for start, samples in pieces:
        track[start : start + len(samples)] = samples
    return track
