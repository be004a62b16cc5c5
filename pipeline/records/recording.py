"""Call recordings streamed to disk as the call goes: a PCM16 WAV whose header is fixed up after every block,
so a process killed mid-call leaves a file that plays (up to the last block); ``repair_wav`` makes the header
match the data exactly. Memory stays bounded: about ``hold_back`` seconds of audio are buffered, so agent audio
can be placed on the caller's timeline.

Modes: ``on`` (stereo: caller left, agent right), ``caller`` / ``agent`` (mono, one side), ``off``."""

from __future__ import annotations

import struct
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pipeline.base.audio import AudioFrame, resample_int16

HEADER_BYTES = 44


class RecordingMode(StrEnum):
    """What a call recording holds: both sides (stereo), one side, or nothing."""

    OFF = "off"
    ON = "on"  # stereo: caller left, agent right
    CALLER = "caller"  # caller only (mono)
    AGENT = "agent"  # agent only (mono)


def _header(channels: int, sample_rate: int, data_bytes: int) -> bytes:
    block = channels * 2
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * block, block, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


class WavStream:
    """A PCM16 WAV written block by block; the header always describes what is on disk after ``write``."""

    def __init__(self, path: Path, sample_rate: int, channels: int) -> None:
        self.path = path
        self.sample_rate = sample_rate
        self.channels = channels
        self.data_bytes = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO | None = path.open("wb")
        self._file.write(_header(channels, sample_rate, 0))

    def write(self, samples: np.ndarray) -> None:
        """``samples``: int16, shape (n, channels) or (n,) for mono."""
        if self._file is None or samples.size == 0:
            return
        data = np.ascontiguousarray(samples, dtype="<i2").tobytes()
        self._file.seek(0, 2)
        self._file.write(data)
        self.data_bytes += len(data)
        self._file.seek(4)
        self._file.write(struct.pack("<I", 36 + self.data_bytes))
        self._file.seek(40)
        self._file.write(struct.pack("<I", self.data_bytes))
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def repair_wav(path: str | Path) -> float:
    """Make a streamed WAV's header match its data (after a crash); returns its duration in seconds."""
    path = Path(path)
    with path.open("r+b") as file:
        header = file.read(HEADER_BYTES)
        if len(header) < HEADER_BYTES or header[:4] != b"RIFF" or header[36:40] != b"data":
            raise ValueError(f"{path}: not a Parley call recording (unexpected WAV header)")
        channels, sample_rate = struct.unpack("<HI", header[22:28])
        size = path.stat().st_size - HEADER_BYTES
        block = channels * 2
        size -= size % block
        file.seek(4)
        file.write(struct.pack("<I", 36 + size))
        file.seek(40)
        file.write(struct.pack("<I", size))
    return float(size / block / sample_rate)


class CallRecording:
    """An audio tap that streams a call to ``path``: caller frames are laid end to end (the caller's audio is
    continuous), agent frames at their session timestamps; blocks older than ``hold_back`` seconds are
    written out."""

    def __init__(
        self, path: Path, sample_rate: int, mode: RecordingMode = RecordingMode.ON, hold_back: float = 1.0
    ) -> None:
        if mode is RecordingMode.OFF:
            raise ValueError("a recording with mode 'off' is never created")
        self.path = path
        self.mode = mode
        self.sample_rate = sample_rate
        self._wav = WavStream(path, sample_rate, 2 if mode is RecordingMode.ON else 1)
        self._hold_back = round(hold_back * sample_rate)
        self._written = 0  # samples per channel on disk
        self._caller: list[np.ndarray] = []  # caller samples from ``_written`` on
        self._caller_end = 0  # caller samples received in total
        self._agent: list[tuple[int, np.ndarray]] = []  # (start sample, samples) not yet written
        self.late_agent_samples = 0  # agent audio that arrived after its place was written (dropped)

    @property
    def seconds(self) -> float:
        return self._wav.data_bytes / (2 * self._wav.channels) / self.sample_rate

    def _samples(self, frame: AudioFrame) -> np.ndarray:
        samples = frame.to_int16()
        if frame.sample_rate != self.sample_rate:
            samples = resample_int16(samples, frame.sample_rate, self.sample_rate)
        return samples

    def caller(self, frame: AudioFrame) -> None:
        samples = self._samples(frame)
        self._caller.append(samples)
        self._caller_end += len(samples)
        if self._caller_end - self._written >= 2 * self._hold_back:
            self._flush(self._caller_end - self._hold_back)

    def agent(self, frame: AudioFrame) -> None:
        if self.mode is RecordingMode.CALLER:
            return
        self._agent.append((round(frame.timestamp * self.sample_rate), self._samples(frame)))
        agent_end = self._agent[-1][0] + len(self._agent[-1][1])
        if agent_end - self._written >= 4 * self._hold_back:  # no caller audio flowing: the agent drives
            self._flush(agent_end - self._hold_back)

    def _flush(self, until: int) -> None:
        length = until - self._written
        if length <= 0:
            return
        caller = np.zeros(length, dtype=np.int16)
        taken = np.concatenate(self._caller) if self._caller else np.zeros(0, dtype=np.int16)
        caller[: min(length, len(taken))] = taken[:length]
        self._caller = [taken[length:]] if len(taken) > length else []
        agent = np.zeros(length, dtype=np.int16)
        keep: list[tuple[int, np.ndarray]] = []
        for start, samples in self._agent:
            offset = start - self._written
            if offset + len(samples) <= 0:
                self.late_agent_samples += len(samples)
                continue
            if offset < 0:
                self.late_agent_samples += -offset
                samples, offset = samples[-offset:], 0
            if offset < length:
                piece = samples[: length - offset]
                agent[offset : offset + len(piece)] = piece
            if offset + len(samples) > length:
                keep.append((self._written + max(offset, length), samples[max(0, length - offset) :]))
        self._agent = keep
        self._written = until
        if self.mode is RecordingMode.ON:
            self._wav.write(np.stack([caller, agent], axis=1))
        else:
            self._wav.write(caller if self.mode is RecordingMode.CALLER else agent)

    def close(self) -> None:
        """Write everything still buffered and close the file."""
        ends = [self._written + sum(len(c) for c in self._caller)]
        ends += [start + len(samples) for start, samples in self._agent]
        self._flush(max(ends))
        self._wav.close()
