"""Records a call on one timeline: caller audio on the left channel, agent audio on the right."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.base.audio import AudioFrame, write_stereo_wav


class CallRecorder:
    """Holds the call's audio in memory (``keep_audio=False``: only counts the agent's seconds; a streaming
    ``CallRecords`` observer writes the recording instead)."""

    def __init__(self, sample_rate: int, *, keep_audio: bool = True) -> None:
        self.sample_rate = sample_rate
        self.keep_audio = keep_audio
        self._caller: list[tuple[int, np.ndarray]] = []
        self._agent: list[tuple[int, np.ndarray]] = []
        self._agent_samples = 0

    def caller(self, frame: AudioFrame, at: float) -> None:
        """A caller frame pushed at session time ``at`` (seconds)."""
        if self.keep_audio:
            self._caller.append((round(at * self.sample_rate), frame.to_int16()))

    def agent(self, frame: AudioFrame) -> None:
        """An agent frame; its timestamp is the session time it left the pipeline."""
        samples = frame.to_int16()
        self._agent_samples += len(samples)
        if self.keep_audio:
            self._agent.append((round(frame.timestamp * self.sample_rate), samples))

    @property
    def agent_seconds(self) -> float:
        return self._agent_samples / self.sample_rate

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
