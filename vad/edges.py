"""Speech edges placed inside a model window, from the audio's own level.

The model scores whole 32 ms windows, so on its own a speech boundary can only be dated to a window boundary and
decided when a window completes: 0-32 ms late depending on where the caller's audio falls against the windows.
``AudioEdges`` keeps the level of the last quarter second of caller audio in 4 ms blocks and answers three
questions the stream asks: where, near the window where the model first heard speech, the speech really begins;
where, near the first window the model calls silent, the speech really ended (to the sample: the last sample of the
last loud block that reaches the loud level); and whether the audio that has
arrived since the last full window is still speech (or still silence) — so a decision can be made on the frame
that completes the configured duration instead of on the next window boundary.

A block is *loud* when it is within ``DYNAMIC_RANGE_DB`` of the loudest recent block and clearly above the recent
noise floor; the threshold is fixed when the edge is found, and the later checks use the same one.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from vad.levels import SILENCE_DB

BLOCK_SECONDS = 0.004
HISTORY_SECONDS = 0.256
DYNAMIC_RANGE_DB = 40.0  # speech edges are this far below the loudest recent block
ABOVE_FLOOR_DB = 6.0  # and at least this far above the quietest (the noise floor)
ONSET_LOOKBACK_WINDOWS = 3  # the model can hear an onset up to about three windows late
ONSET_MAX_GAP = 2  # quiet blocks allowed inside the loud run that leads into the first speech window
OFFSET_LOOKBACK_WINDOWS = 3  # its probability lingers up to about three windows after the speech ends


class AudioEdges:
    """Block levels of the recent caller audio; see the module docstring. Pushing only copies samples into a ring;
    levels are computed when a question is asked (on a speech edge, and on each frame while one is pending)."""

    def __init__(self, sample_rate: int, window_seconds: float, min_volume_db: float) -> None:
        self._block = max(1, round(BLOCK_SECONDS * sample_rate))
        self._rate = sample_rate
        self._window = window_seconds
        self._min_volume = min_volume_db
        self._capacity = round(HISTORY_SECONDS / BLOCK_SECONDS) * self._block
        self._ring = np.zeros(2 * self._capacity, dtype=np.float32)
        self._size = 0  # valid samples at the end of _ring[: self._fill]
        self._fill = 0
        self._end_time = 0.0  # media time just after the newest sample
        self._threshold = min_volume_db

    def push(self, audio: np.ndarray, timestamp: float) -> None:
        """Add float32 samples whose first sample is at media time ``timestamp``."""
        audio = audio[-self._capacity :]
        if self._fill + audio.size > self._ring.size:  # slide the newest history to the front
            keep = min(self._size, self._capacity - audio.size)
            self._ring[:keep] = self._ring[self._fill - keep : self._fill]
            self._fill = self._size = keep
        self._ring[self._fill : self._fill + audio.size] = audio
        self._fill += audio.size
        self._size = min(self._size + audio.size, self._capacity)
        self._end_time = timestamp + audio.size / self._rate

    def clear(self) -> None:
        self._fill = self._size = 0

    def _block_levels(self) -> list[tuple[float, float]]:
        """(start time, dBFS) of each whole block of the history, oldest first, aligned to the newest sample."""
        whole = self._size - self._size % self._block
        if whole == 0:
            return []
        blocks = self._ring[self._fill - whole : self._fill].reshape(-1, self._block)
        power = np.einsum("ij,ij->i", blocks, blocks) / self._block
        levels = 10.0 * np.log10(np.maximum(power, 1e-10))
        step = self._block / self._rate
        first = self._end_time - whole / self._rate
        return [(first + index * step, float(level)) for index, level in enumerate(levels)]

    def onset(self, window_start: float, window_end: float) -> float:
        """Where speech begins, near the first window the model calls speech: the start of the loud run (short
        dips allowed) that leads into that window, looking back at most three windows (the window's start when
        nothing in it is loud)."""
        onset: float | None = None
        quiet_run = 0
        for start, level in self._newest_first(
            window_start - ONSET_LOOKBACK_WINDOWS * self._window, window_end
        ):
            if level >= self._threshold:
                onset, quiet_run = start, 0
            elif onset is not None or start < window_start:
                quiet_run += 1
                if quiet_run > ONSET_MAX_GAP:
                    break
        return window_start if onset is None else onset

    def offset(self, window_start: float, window_end: float) -> float:
        """Where speech ended, near the first window the model calls silence: the end of the last loud block
        from three windows before it to its end (never before that range)."""
        earliest = window_start - OFFSET_LOOKBACK_WINDOWS * self._window
        for start, level in self._newest_first(earliest, window_end):
            if level >= self._threshold:
                return start + self._last_loud_sample(start) / self._rate
        return earliest

    def _last_loud_sample(self, block_start: float) -> int:
        """Samples from the start of the loud block at ``block_start`` to just after its last sample whose
        magnitude reaches the loud threshold's RMS (a block's RMS can only reach it if one sample does): the end
        of speech to the sample, not to the 4 ms block."""
        first = self._fill - round((self._end_time - block_start) * self._rate)
        block = self._ring[max(first, 0) : first + self._block]
        loud = np.flatnonzero(np.abs(block) >= 10.0 ** (self._threshold / 20.0))
        return int(loud[-1]) + 1 if loud.size else self._block

    def _newest_first(self, earliest: float, latest: float) -> Iterator[tuple[float, float]]:
        """(start, dBFS) of the blocks lying within [earliest, latest], newest first; fixes the loud threshold
        from the whole history first."""
        levels = self._block_levels()
        self._threshold = self._loud_threshold(levels)
        step = self._block / self._rate
        for start, level in reversed(levels):
            if start + step > latest + 1e-9:
                continue
            if start < earliest - 1e-9:
                return
            yield start, level

    def is_loud_since(self, since: float) -> bool:
        """Every complete block from ``since`` on is loud (and there is at least one)."""
        return self._all_since(since, loud=True)

    def is_quiet_since(self, since: float) -> bool:
        """Every complete block from ``since`` on is quiet (and there is at least one)."""
        return self._all_since(since, loud=False)

    def _all_since(self, since: float, *, loud: bool) -> bool:
        seen = False
        for start, level in reversed(self._block_levels()):
            if start < since - 1e-9:
                break
            if (level >= self._threshold) is not loud:
                return False
            seen = True
        return seen

    def _loud_threshold(self, levels: list[tuple[float, float]]) -> float:
        if not levels:
            return max(self._min_volume, SILENCE_DB)
        values = [level for _, level in levels]
        return max(self._min_volume, max(values) - DYNAMIC_RANGE_DB, min(values) + ABOVE_FLOOR_DB)
