"""DTMF in-band: a Goertzel detector with the usual telephony checks, and a tone generator.

The detector works on blocks of 25.6 ms (205 samples at 8 kHz; the same duration at any rate). A block holds a
digit when one row and one column tone stand out: together they carry most of the block's energy (speech and
noise fail this), each beats the other tones of its group by 6 dB, the twist between them is within limits, and
the level is above a floor. A digit is reported once it held for two consecutive blocks (≥ 40 ms of tone, the
ITU minimum) and again only after a gap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

ROWS = (697.0, 770.0, 852.0, 941.0)
COLUMNS = (1209.0, 1336.0, 1477.0, 1633.0)
KEYPAD = ("123A", "456B", "789C", "*0#D")
BLOCK_SECONDS = 0.0256
MIN_DOMINANCE = 0.55  # share of the block's energy in the two tones
MIN_PEAK_RATIO = 4.0  # 6 dB over the next tone in the group
MAX_TWIST = 10 ** (8 / 10)  # 8 dB either way
MIN_TONE_RMS = 60.0  # PCM16 amplitude; about -55 dBFS


def goertzel_basis(frequencies: tuple[float, ...], rate: int, size: int) -> np.ndarray:
    """The complex exponentials whose dot product with a block is Goertzel's result at each frequency (the
    same single-bin DFT, computed as one matrix product instead of a per-sample loop)."""
    n = np.arange(size)
    basis: np.ndarray = np.exp(-2j * np.pi * np.outer(frequencies, n) / rate)
    return basis


def tone_power(block: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """The power (amplitude² / 2 of a sinusoid) at each of the basis' frequencies."""
    size = block.shape[-1]
    power: np.ndarray = 2 * np.abs(basis @ block) ** 2 / (size * size)
    return power


def _block_digit(block: np.ndarray, basis: np.ndarray) -> str | None:
    mean_square = float(np.mean(block**2))
    if mean_square < MIN_TONE_RMS**2:
        return None
    powers = tone_power(block, basis)
    rows, cols = powers[: len(ROWS)], powers[len(ROWS) :]
    row, col = int(np.argmax(rows)), int(np.argmax(cols))
    row_power, col_power = rows[row], cols[col]
    if (row_power + col_power) / mean_square < MIN_DOMINANCE:
        return None
    if np.sort(rows)[-2] * MIN_PEAK_RATIO > row_power or np.sort(cols)[-2] * MIN_PEAK_RATIO > col_power:
        return None
    if not (1 / MAX_TWIST <= col_power / row_power <= MAX_TWIST):
        return None
    return KEYPAD[row][col]


@dataclass(frozen=True)
class DetectedDigit:
    """A keypress heard in the audio: the digit and the media time its tone started (block resolution)."""

    digit: str
    started_at: float
    detected_at: float  # media time at the end of the block that confirmed it


class DtmfDetector:
    """Feeds on PCM16 audio (any frame size); yields each digit once, when confirmed."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._block = round(BLOCK_SECONDS * sample_rate)
        self._basis = goertzel_basis(ROWS + COLUMNS, sample_rate, self._block)
        self._pending = np.zeros(0)
        self._time = 0.0  # media time of the first pending sample
        self._candidate: str | None = None
        self._candidate_since = 0.0
        self._reported: str | None = None  # digit held down and already reported

    def push(self, samples: np.ndarray) -> Iterator[DetectedDigit]:
        self._pending = np.concatenate([self._pending, np.asarray(samples, dtype=np.float64)])
        while len(self._pending) >= self._block:
            block, self._pending = self._pending[: self._block], self._pending[self._block :]
            start = self._time
            self._time += self._block / self.sample_rate
            digit = _block_digit(block, self._basis)
            if digit is None or digit != self._candidate:
                self._candidate, self._candidate_since = digit, start
                if digit is None:
                    self._reported = None
                continue
            if digit != self._reported:
                self._reported = digit
                yield DetectedDigit(digit, self._candidate_since, self._time)


def dtmf_tones(
    digits: str,
    sample_rate: int,
    *,
    tone_seconds: float = 0.08,
    gap_seconds: float = 0.08,
    amplitude: float = 0.3,
) -> np.ndarray:
    """PCM16 tones for ``digits`` (``0-9*#A-D``; ``w`` waits 0.5 s, as in Twilio's ``<Play digits>``)."""
    parts: list[np.ndarray] = []
    t = np.arange(round(tone_seconds * sample_rate)) / sample_rate
    gap = np.zeros(round(gap_seconds * sample_rate))
    for digit in digits:
        if digit == "w":
            parts.append(np.zeros(round(0.5 * sample_rate)))
            continue
        row = next((index for index, keys in enumerate(KEYPAD) if digit in keys), None)
        if row is None:
            raise ValueError(f"not a DTMF digit: {digit!r} (expected 0-9 * # A-D or w)")
        col = KEYPAD[row].index(digit)
        tone = np.sin(2 * np.pi * ROWS[row] * t) + np.sin(2 * np.pi * COLUMNS[col] * t)
        parts.extend([tone * amplitude / 2 * 32767, gap])
    if not parts:
        return np.zeros(0, dtype=np.int16)
    return np.round(np.concatenate(parts)).astype(np.int16)
