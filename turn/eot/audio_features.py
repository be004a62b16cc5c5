"""Whisper-style 80-bin log-mel features in numpy, as Smart Turn v3 expects them.

Pipeline (that of HuggingFace's ``WhisperFeatureExtractor`` with ``chunk_length=8``, which Smart Turn v3
was trained with): keep the last 8 s of 16 kHz audio, zero-padding at the *start*; zero-mean/unit-variance
normalise the waveform; centred STFT (reflect padding, periodic Hann window, n_fft 400, hop 160); power
spectrum; Slaney-scale, Slaney-normalised mel filterbank (80 bands, 0-8 kHz); log10 with a 1e-10 floor;
drop the last frame; clamp to (max - 8); map with (x + 4) / 4. Result: float32 [1, 80, 800].

The spectrum is computed in float32 (numpy >= 2 has single-precision FFTs); after the log compression it stays
within ~1e-6 of a float64 computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

SAMPLE_RATE = 16_000
N_FFT = 400
HOP_LENGTH = 160
N_MELS = 80
WINDOW_SECONDS = 8
WINDOW_SAMPLES = WINDOW_SECONDS * SAMPLE_RATE  # 128000
N_FRAMES = WINDOW_SAMPLES // HOP_LENGTH  # 800
LOG_FLOOR = 1e-10
DYNAMIC_RANGE_LOG10 = 8.0
NORMALIZE_EPS = 1e-7

# Slaney mel scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above (27 mels per factor 6.4).
_F_BREAK = 1000.0
_MEL_BREAK = 15.0
_LOG_STEP = np.log(6.4) / 27.0


def hertz_to_mel(freq: np.ndarray | float) -> np.ndarray:
    f = np.asarray(freq, dtype=np.float64)
    linear = 3.0 * f / 200.0
    logarithmic = _MEL_BREAK + np.log(np.maximum(f, 1e-12) / _F_BREAK) / _LOG_STEP
    return np.where(f >= _F_BREAK, logarithmic, linear)


def mel_to_hertz(mels: np.ndarray | float) -> np.ndarray:
    m = np.asarray(mels, dtype=np.float64)
    linear = 200.0 * m / 3.0
    logarithmic = _F_BREAK * np.exp(_LOG_STEP * (m - _MEL_BREAK))
    return np.where(m >= _MEL_BREAK, logarithmic, linear)


@lru_cache(maxsize=8)
def mel_filterbank(
    sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS, f_min: float = 0.0,
    f_max: float | None = None,
) -> np.ndarray:  # fmt: skip
    """Triangular filters, shape (n_mels, n_fft // 2 + 1), area-normalised (Slaney); read-only, cached."""
    top = sample_rate / 2.0 if f_max is None else f_max
    edges_hz = mel_to_hertz(np.linspace(hertz_to_mel(f_min), hertz_to_mel(top), n_mels + 2))
    fft_hz = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    lower, centre, upper = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    rising = (fft_hz[None, :] - lower) / (centre - lower)
    falling = (upper - fft_hz[None, :]) / (upper - centre)
    filters = np.maximum(0.0, np.minimum(rising, falling))
    filters *= 2.0 / (upper - lower)  # equal area per band
    filters.setflags(write=False)
    return np.asarray(filters, dtype=np.float64)


@lru_cache(maxsize=8)
def hann_window(length: int = N_FFT) -> np.ndarray:
    """Periodic Hann window (as torch.hann_window / Whisper); read-only, cached."""
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(length) / length)
    window.setflags(write=False)
    return window


@dataclass(frozen=True, slots=True)
class _SparseMel:
    """The mel filterbank as (bin, weight) lists per band: each FFT bin feeds at most two bands, so this
    gather + segmented sum replaces a dense matmul - and keeps multi-threaded BLAS, which is slow on a busy
    small machine, out of the per-turn path."""

    window: np.ndarray  # float32 Hann window
    bins: np.ndarray  # FFT bin of each non-zero, grouped by band
    weights: np.ndarray  # float32 weight of each non-zero
    band_starts: np.ndarray  # offset of each band's first non-zero


@lru_cache(maxsize=1)
def _sparse_mel() -> _SparseMel:
    filters = mel_filterbank()
    bands, bins = np.nonzero(filters)  # row-major: grouped by band, in band order
    counts = np.bincount(bands, minlength=filters.shape[0])
    if np.any(counts == 0):
        raise ValueError("mel filterbank has an empty band; use fewer mels or a longer FFT")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    window = hann_window(N_FFT).astype(np.float32)
    return _SparseMel(window, bins, filters[bands, bins].astype(np.float32), starts)


def to_float32(samples: np.ndarray) -> np.ndarray:
    """Mono samples as float32 in [-1, 1]; int16 input is scaled by 1/32768."""
    array = np.asarray(samples)
    if array.ndim != 1:
        raise ValueError(f"expected 1-D mono audio, got shape {array.shape}")
    if array.dtype == np.int16:
        return array.astype(np.float32) / 32768.0
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"expected float or int16 samples, got {array.dtype}")
    return array.astype(np.float32, copy=False)


def fit_to_window(samples: np.ndarray, length: int = WINDOW_SAMPLES) -> np.ndarray:
    """The last ``length`` samples, zero-padded at the start when shorter (float32, new array)."""
    audio = to_float32(samples)
    if audio.size >= length:
        return audio[-length:].copy()
    out = np.zeros(length, dtype=np.float32)
    if audio.size:
        out[-audio.size :] = audio
    return out


def normalize_waveform(audio: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance (float32), as WhisperFeatureExtractor(do_normalize=True)."""
    x = np.asarray(audio, dtype=np.float32)
    return np.asarray((x - x.mean()) / np.sqrt(x.var() + NORMALIZE_EPS), dtype=np.float32)


def log_mel_spectrogram(audio: np.ndarray) -> np.ndarray:
    """Whisper log-mel of a whole clip: float32 (N_MELS, len(audio) // HOP_LENGTH)."""
    x = to_float32(audio)
    pad = N_FFT // 2
    if x.size <= pad:
        raise ValueError(f"need more than {pad} samples for a centred STFT, got {x.size}")
    padded = np.pad(x, pad, mode="reflect")
    frames = sliding_window_view(padded, N_FFT)[::HOP_LENGTH]  # (n_frames + 1, N_FFT), a view
    sparse = _sparse_mel()
    spectrum = np.fft.rfft(frames[:-1] * sparse.window, axis=-1)  # the last frame is dropped, as Whisper does
    power = spectrum.real**2 + spectrum.imag**2  # (n_frames, N_FFT // 2 + 1)
    mel = np.add.reduceat(power[:, sparse.bins] * sparse.weights, sparse.band_starts, axis=1)
    log_mel = np.log10(np.maximum(mel, LOG_FLOOR)).T
    log_mel = np.maximum(log_mel, log_mel.max() - DYNAMIC_RANGE_LOG10)
    return np.asarray((log_mel + 4.0) / 4.0, dtype=np.float32)


def smart_turn_features(samples_16k: np.ndarray, normalize: bool = True) -> np.ndarray:
    """Model input for Smart Turn v3: float32 (1, N_MELS, N_FRAMES) from the last 8 s of 16 kHz audio."""
    audio = fit_to_window(samples_16k)
    if normalize:
        audio = normalize_waveform(audio)
    return log_mel_spectrogram(audio)[np.newaxis]
