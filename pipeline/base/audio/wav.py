"""WAV read/write. Reading converts what it can (stereo, 8/24/32-bit, any rate) and names what it can't."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.base.audio.frame import AudioFormatError, AudioFrame
from pipeline.base.audio.resample import resample_int16


@dataclass(frozen=True, slots=True)
class WavInfo:
    """What the file held before conversion (for messages and logs)."""

    channels: int
    sample_width: int
    sample_rate: int
    frames: int


MIN_SAMPLE_RATE = 8_000
MAX_SAMPLE_RATE = 192_000
MAX_FILE_BYTES = 1 << 30  # 1 GiB: hours of audio; /dev/zero and the like are refused, not read for ever


def read_wav(source: str | Path | bytes, sample_rate: int | None = None) -> tuple[AudioFrame, WavInfo]:
    """Read a PCM WAV as one mono PCM16 frame, resampled to ``sample_rate`` when given.

    Raises AudioFormatError with the file name and the reason for anything that is not usable audio.
    """
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    data = source if isinstance(source, bytes) else _read_bytes(Path(source))
    if not data:
        raise AudioFormatError(f"{name}: the file is empty")
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioFormatError(f"{name}: not a WAV file (no RIFF/WAVE header)")
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            info = WavInfo(
                reader.getnchannels(), reader.getsampwidth(), reader.getframerate(), reader.getnframes()
            )
            raw = reader.readframes(info.frames)
    except (wave.Error, EOFError) as exc:
        raise AudioFormatError(
            f"{name}: unreadable WAV ({exc}); only integer PCM WAV files are supported"
        ) from exc
    if info.frames == 0 or not raw:
        raise AudioFormatError(f"{name}: the WAV file contains no audio")
    if not MIN_SAMPLE_RATE <= info.sample_rate <= MAX_SAMPLE_RATE:
        raise AudioFormatError(
            f"{name}: sample rate {info.sample_rate} Hz is outside {MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz"
        )
    samples = _to_mono_int16(raw, info, name)
    rate = info.sample_rate
    if sample_rate is not None and sample_rate != rate:
        samples = resample_int16(samples, rate, sample_rate)
        rate = sample_rate
    return AudioFrame.from_int16(samples, rate), info


def _read_bytes(path: Path) -> bytes:
    try:
        if path.exists() and not path.is_file() and not path.is_dir():
            raise AudioFormatError(f"{path}: not a regular file (a device or a pipe); give a WAV file")
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise AudioFormatError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MB")
        return data
    except FileNotFoundError:
        raise AudioFormatError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AudioFormatError(f"{path}: is a directory, not a WAV file") from None


def _to_mono_int16(raw: bytes, info: WavInfo, name: str) -> np.ndarray:
    width = info.sample_width
    usable = len(raw) - len(raw) % (width * info.channels)
    raw = raw[:usable]
    if width == 1:  # unsigned 8-bit
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.int32) - 128) << 8
    elif width == 2:
        samples = np.frombuffer(raw, dtype="<i2").astype(np.int32)
    elif width == 3:
        bytes3 = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = bytes3[:, 0] | (bytes3[:, 1] << 8) | (bytes3[:, 2] << 16)
        samples = np.where(value & 0x800000, value - 0x1000000, value) >> 8
    elif width == 4:
        samples = np.frombuffer(raw, dtype="<i4").astype(np.int64) >> 16
    else:
        raise AudioFormatError(f"{name}: unsupported sample width of {width} bytes")
    if info.channels > 1:
        samples = samples.reshape(-1, info.channels).mean(axis=1)
    return np.clip(np.round(samples), -32768, 32767).astype("<i2")


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """Encode int16 samples as a WAV file in memory; a 2-D [n, channels] array gives a multi-channel file."""
    array = np.asarray(samples, dtype="<i2")
    channels = 1 if array.ndim == 1 else array.shape[1]
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(array.tobytes())
    return buffer.getvalue()


def write_wav(path: str | Path, samples: np.ndarray, sample_rate: int) -> None:
    Path(path).write_bytes(wav_bytes(samples, sample_rate))


def write_stereo_wav(path: str | Path, left: np.ndarray, right: np.ndarray, sample_rate: int) -> None:
    """Two mono tracks side by side (e.g. caller left, agent right); the shorter one is padded with silence."""
    length = max(len(left), len(right))
    stereo = np.zeros((length, 2), dtype="<i2")
    stereo[: len(left), 0] = left
    stereo[: len(right), 1] = right
    write_wav(path, stereo, sample_rate)
