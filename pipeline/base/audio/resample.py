"""Sample-rate conversion with libsoxr: one-shot for whole buffers, stateful for streams."""

from __future__ import annotations

import numpy as np
import soxr

from pipeline.base.audio.frame import AudioFrame


def resample_int16(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample a whole int16 buffer (e.g. a WAV file or one synthesized sentence)."""
    if from_rate == to_rate or samples.size == 0:
        return np.asarray(samples, dtype="<i2")
    return np.asarray(soxr.resample(np.asarray(samples, dtype=np.int16), from_rate, to_rate, quality="HQ"))


class StreamResampler:
    """Resamples a stream of frames, keeping the filter state between chunks (no clicks at frame edges).

    Output frames carry media timestamps counted on the output side, starting at the first input's timestamp.
    When the rates are equal, frames pass through untouched.
    """

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self.from_rate = from_rate
        self.to_rate = to_rate
        self._stream = (
            None if from_rate == to_rate else soxr.ResampleStream(from_rate, to_rate, 1, dtype="int16")
        )
        self._next_timestamp: float | None = None
        self._ended = False

    def process(self, frame: AudioFrame, *, last: bool = False) -> AudioFrame:
        if frame.sample_rate != self.from_rate:
            raise ValueError(f"resampler expects {self.from_rate} Hz audio, got {frame.sample_rate} Hz")
        if self._stream is None:
            return frame
        if self._next_timestamp is None:
            self._next_timestamp = frame.timestamp
        if self._ended:
            raise ValueError("the resampler's stream has ended (last=True or flush() was called)")
        self._ended = last
        out = self._stream.resample_chunk(frame.to_int16(), last=last)
        result = AudioFrame.from_int16(out, self.to_rate, self._next_timestamp)
        self._next_timestamp += result.duration
        return result

    def flush(self) -> AudioFrame:
        """Drain the filter's tail at the end of a stream."""
        timestamp = self._next_timestamp or 0.0
        if self._stream is None or self._ended:
            return AudioFrame(b"", self.to_rate, timestamp)
        self._ended = True
        out = self._stream.resample_chunk(np.zeros(0, dtype=np.int16), last=True)
        return AudioFrame.from_int16(out, self.to_rate, timestamp)
