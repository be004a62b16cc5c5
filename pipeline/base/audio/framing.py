"""Re-chunking: turn audio of any chunk size into fixed-size frames with exact media timestamps."""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.base.audio.frame import SAMPLE_WIDTH, AudioFrame


class Rechunker:
    """Accumulates PCM16 and yields frames of exactly ``frame_samples`` samples.

    Timestamps are derived from the sample count, so they never drift, whatever the input chunking; ``skip``
    moves them ahead over a gap (audio dropped upstream), so media time stays true.
    """

    def __init__(self, sample_rate: int, frame_samples: int, start_time: float = 0.0) -> None:
        if frame_samples <= 0:
            raise ValueError("frame_samples must be positive")
        self.sample_rate = sample_rate
        self.frame_samples = frame_samples
        self._frame_bytes = frame_samples * SAMPLE_WIDTH
        self._buffer = bytearray()
        self._emitted_samples = 0
        self._start_time = start_time

    @classmethod
    def for_duration(cls, sample_rate: int, frame_ms: int, start_time: float = 0.0) -> Rechunker:
        return cls(sample_rate, sample_rate * frame_ms // 1000, start_time)

    @property
    def pending_samples(self) -> int:
        return len(self._buffer) // SAMPLE_WIDTH

    def push(self, pcm: bytes) -> Iterator[AudioFrame]:
        if not self._buffer and len(pcm) == self._frame_bytes:  # already one whole frame: no copies
            yield self._frame(pcm)
            return
        self._buffer += pcm
        while len(self._buffer) >= self._frame_bytes:
            chunk = bytes(self._buffer[: self._frame_bytes])
            del self._buffer[: self._frame_bytes]
            yield self._frame(chunk)

    def flush(self, *, pad: bool = True) -> Iterator[AudioFrame]:
        """Emit what is left; padded with silence to a full frame unless ``pad`` is False."""
        if not self._buffer:
            return
        chunk = bytes(self._buffer)
        self._buffer.clear()
        if pad:
            chunk += bytes(self._frame_bytes - len(chunk))
        yield self._frame(chunk)

    def skip(self, seconds: float) -> None:
        """``seconds`` of audio are missing here: later samples are that much later in media time."""
        self._start_time += seconds

    def _frame(self, chunk: bytes) -> AudioFrame:
        frame = AudioFrame(
            chunk, self.sample_rate, self._start_time + self._emitted_samples / self.sample_rate
        )
        self._emitted_samples += len(chunk) // SAMPLE_WIDTH
        return frame


def split_frames(frame: AudioFrame, frame_ms: int) -> list[AudioFrame]:
    """Cut one long frame into fixed-size frames (the last one padded with silence)."""
    chunker = Rechunker.for_duration(frame.sample_rate, frame_ms, frame.timestamp)
    return [*chunker.push(frame.pcm), *chunker.flush()]
