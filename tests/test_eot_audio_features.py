"""Whisper-style log-mel features for Smart Turn v3, checked against a plain loop implementation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from turn.eot.audio_features import (
    N_FRAMES,
    N_MELS,
    SAMPLE_RATE,
    WINDOW_SAMPLES,
    fit_to_window,
    log_mel_spectrogram,
    mel_filterbank,
    normalize_waveform,
    smart_turn_features,
)


def _hz_to_mel(f: float) -> float:
    return 3.0 * f / 200.0 if f < 1000.0 else 15.0 + math.log(f / 1000.0) * 27.0 / math.log(6.4)


def _mel_to_hz(m: float) -> float:
    return 200.0 * m / 3.0 if m < 15.0 else 1000.0 * math.exp((m - 15.0) * math.log(6.4) / 27.0)


def _band_edges_hz() -> list[float]:
    top = _hz_to_mel(SAMPLE_RATE / 2)
    return [_mel_to_hz(top * i / (N_MELS + 1)) for i in range(N_MELS + 2)]


def reference_log_mel(audio: np.ndarray) -> np.ndarray:
    """The same formulas written out frame by frame, bin by bin, band by band (float64)."""
    n_fft, hop = 400, 160
    x = [float(v) for v in audio]
    padded = x[200:0:-1] + x + x[-2:-202:-1]  # reflect padding by n_fft // 2
    window = [0.5 - 0.5 * math.cos(2 * math.pi * n / n_fft) for n in range(n_fft)]
    n = np.arange(n_fft)
    edges = _band_edges_hz()
    frames = []
    for t in range(len(x) // hop):  # the final (extra) centred frame is dropped
        segment = np.array([padded[t * hop + i] * window[i] for i in range(n_fft)])
        power = []
        for k in range(n_fft // 2 + 1):
            re = float(np.dot(segment, np.cos(2 * math.pi * k * n / n_fft)))
            im = float(np.dot(segment, np.sin(2 * math.pi * k * n / n_fft)))
            power.append(re * re + im * im)
        bands = []
        for m in range(N_MELS):
            lo, centre, hi = edges[m], edges[m + 1], edges[m + 2]
            total = 0.0
            for k, p in enumerate(power):
                f = k * SAMPLE_RATE / n_fft
                if lo < f < hi:
                    weight = (f - lo) / (centre - lo) if f <= centre else (hi - f) / (hi - centre)
                    total += p * weight * 2.0 / (hi - lo)
            bands.append(math.log10(max(total, 1e-10)))
        frames.append(bands)
    log_mel = np.array(frames).T
    log_mel = np.maximum(log_mel, log_mel.max() - 8.0)
    return (log_mel + 4.0) / 4.0


def _tone(freq: float, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_matches_a_straightforward_implementation_on_a_short_clip() -> None:
    rng = np.random.default_rng(1)
    clip = (_tone(440.0, 0.25, 0.3) + 0.05 * rng.standard_normal(4000)).astype(np.float32)
    ours = log_mel_spectrogram(clip)
    expected = reference_log_mel(clip)
    assert ours.shape == expected.shape == (N_MELS, 25)
    np.testing.assert_allclose(ours, expected, atol=2e-5)


def test_model_input_is_the_normalised_start_padded_window() -> None:
    rng = np.random.default_rng(2)
    clip = (0.1 * rng.standard_normal(3200)).astype(np.float32)
    window = np.concatenate([np.zeros(WINDOW_SAMPLES - clip.size), clip.astype(np.float64)])
    normalised = (window - window.mean()) / np.sqrt(window.var() + 1e-7)
    features = smart_turn_features(clip)
    assert features.shape == (1, N_MELS, N_FRAMES)
    assert features.dtype == np.float32
    # The loop reference is slow over 8 s, so run it on the last 40 frames (hop-aligned); its first frames
    # see reflect padding instead of the real preceding samples, so compare the last 30.
    tail = normalised[-40 * 160 :]
    expected_tail = reference_log_mel(tail)[:, -30:]
    ours_tail = features[0, :, -30:]
    # the (max - 8) clamp uses each input's own maximum; the loudest frames are in both, so they agree
    np.testing.assert_allclose(ours_tail, expected_tail, atol=2e-4)


def test_short_audio_is_padded_at_the_start() -> None:
    rng = np.random.default_rng(3)
    one_second = (0.2 * rng.standard_normal(SAMPLE_RATE)).astype(np.float32)
    features = smart_turn_features(one_second)[0]
    silent, speech = features[:, :690], features[:, -95:]
    assert np.ptp(silent, axis=1).max() < 1e-6  # the leading padding is the same in every frame
    assert speech.mean() > silent.mean() + 1.0
    padded_at_end = smart_turn_features(np.concatenate([one_second, np.zeros(7 * SAMPLE_RATE, np.float32)]))[
        0
    ]
    assert padded_at_end[:, :95].mean() > padded_at_end[:, -600:].mean() + 1.0


def test_long_audio_keeps_the_last_eight_seconds() -> None:
    rng = np.random.default_rng(4)
    long = (0.1 * rng.standard_normal(10 * SAMPLE_RATE)).astype(np.float32)
    np.testing.assert_array_equal(smart_turn_features(long), smart_turn_features(long[-WINDOW_SAMPLES:]))
    assert np.array_equal(fit_to_window(long), long[-WINDOW_SAMPLES:])
    short = fit_to_window(long[:100])
    assert short.size == WINDOW_SAMPLES and not short[:-100].any()


@pytest.mark.parametrize("freq", [250.0, 1000.0, 3000.0, 6000.0])
def test_a_pure_tone_lands_in_the_band_centred_on_it(freq: float) -> None:
    features = log_mel_spectrogram(_tone(freq, 1.0))
    loudest_band = int(np.argmax(features.mean(axis=1)))
    centres = _band_edges_hz()[1:-1]
    nearest = int(np.argmin([abs(c - freq) for c in centres]))
    assert abs(loudest_band - nearest) <= 1


def test_filterbank_is_slaney_area_normalised() -> None:
    filters = mel_filterbank()
    assert filters.shape == (N_MELS, 201)
    assert (filters > 0).any(axis=1).all()  # no empty band
    bin_hz = SAMPLE_RATE / 400
    areas = filters.sum(axis=1) * bin_hz
    # each triangle has area 1 in Hz (sampled every 40 Hz, so only roughly for the narrow bands)
    np.testing.assert_allclose(areas[30:], 1.0, atol=0.1)
    assert not filters.flags.writeable


def test_int16_input_is_scaled_like_float() -> None:
    rng = np.random.default_rng(5)
    pcm = (rng.standard_normal(8000) * 3000).astype(np.int16)
    from_int = log_mel_spectrogram(pcm)
    from_float = log_mel_spectrogram(pcm.astype(np.float32) / 32768.0)
    np.testing.assert_allclose(from_int, from_float, atol=1e-6)


def test_silence_and_empty_audio_give_finite_constant_features() -> None:
    for audio in (np.zeros(0, np.float32), np.zeros(SAMPLE_RATE, np.float32)):
        features = smart_turn_features(audio)
        assert np.isfinite(features).all()
        assert np.ptp(features) == 0.0


def test_normalisation_gives_zero_mean_unit_variance() -> None:
    rng = np.random.default_rng(6)
    x = normalize_waveform((0.01 * rng.standard_normal(16000) + 0.3).astype(np.float32))
    assert abs(float(x.mean())) < 1e-4
    assert abs(float(x.std()) - 1.0) < 1e-3


@pytest.mark.parametrize("bad", [np.zeros((2, 100), np.float32), np.zeros(100, np.int32)])
def test_rejects_non_mono_or_non_audio_dtypes(bad: np.ndarray) -> None:
    with pytest.raises(ValueError):
        smart_turn_features(bad)


def test_too_short_for_a_centred_frame_is_an_error() -> None:
    with pytest.raises(ValueError, match="more than 200 samples"):
        log_mel_spectrogram(np.zeros(150, np.float32))
