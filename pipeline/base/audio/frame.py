"""The pipeline's unit of audio: 16-bit little-endian mono PCM with a rate and a media timestamp."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_WIDTH = 2  # bytes per PCM16 sample


class AudioFormatError(ValueError):
    """Audio that the pipeline cannot use as given (wrong width, odd byte count, bad header...)."""


@dataclass(frozen=True, slots=True)
class AudioFrame:
    """A chunk of PCM16 mono audio.

    ``timestamp`` is the media time of the first sample, in seconds, on the stream the frame belongs to
    (caller audio counts from the start of the call; agent audio from the start of the reply).
    ``speech_id`` names the agent speech an outgoing frame belongs to (None for caller audio), so a transport
    can drop frames of a speech that was interrupted after they were handed to it.
    """

    pcm: bytes
    sample_rate: int
    timestamp: float = 0.0
    speech_id: str | None = None

    def __post_init__(self) -> None:
        if self.sample_rate <= 0:
            raise AudioFormatError(f"sample rate must be positive, got {self.sample_rate}")
        if len(self.pcm) % SAMPLE_WIDTH:
            raise AudioFormatError(f"PCM16 data must have an even number of bytes, got {len(self.pcm)}")

    @property
    def samples(self) -> int:
        return len(self.pcm) // SAMPLE_WIDTH

    @property
    def duration(self) -> float:
        return self.samples / self.sample_rate

    @property
    def end_time(self) -> float:
        return self.timestamp + self.duration

    def to_int16(self) -> np.ndarray:
        """The samples as a read-only int16 array (no copy)."""
        return np.frombuffer(self.pcm, dtype="<i2")

    def to_float32(self) -> np.ndarray:
        """The samples scaled to [-1, 1)."""
        return pcm16_to_float32(self.to_int16())

    @classmethod
    def from_int16(cls, samples: np.ndarray, sample_rate: int, timestamp: float = 0.0) -> AudioFrame:
        return cls(np.asarray(samples, dtype="<i2").tobytes(), sample_rate, timestamp)

    @classmethod
    def from_float32(cls, samples: np.ndarray, sample_rate: int, timestamp: float = 0.0) -> AudioFrame:
        return cls(float32_to_pcm16(samples).tobytes(), sample_rate, timestamp)

    @classmethod
    def silence(cls, duration: float, sample_rate: int, timestamp: float = 0.0) -> AudioFrame:
        return cls(bytes(round(duration * sample_rate) * SAMPLE_WIDTH), sample_rate, timestamp)


def pcm16_to_float32(samples: np.ndarray) -> np.ndarray:
    return samples.astype(np.float32) / 32768.0


def float32_to_pcm16(samples: np.ndarray) -> np.ndarray:
    scaled = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0) * 32767.0
    return np.round(scaled).astype("<i2")
