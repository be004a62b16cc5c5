"""Frame lag: how far behind real time a session's caller audio is when the pipeline gets to it.

Definition. The caller of session *s* starts at ``origin`` (the clock time its feeder started); frame *k* (20 ms,
media time ``[k * 0.02, (k + 1) * 0.02)``) is *due* at ``origin + (k + 1) * 0.02``, the moment its last sample
exists in real time, which is also when the feeder pushes it into ``Session.push_audio`` (never earlier). The
frame's *lag* is the clock time at which the session's input stage, having run the frame through Silero VAD,
hands it to speech-to-text, minus its due time. It therefore adds up everything that can make a real-time
session fall behind: the feeder waking late (a busy event loop), the frame waiting in the session's input
channel behind earlier frames, and the VAD work for it (including waiting for a batch to form and run).

The probe is the speech-to-text provider itself (a thin wrapper around the simulated one sees every frame the
input stage forwards, with its media timestamp), so no pipeline code is instrumented. Frames dropped by the input
channel are not seen here; they are counted separately (``frames_dropped`` events) and fail a step on their own.

Lags go into a fixed-resolution histogram (0.1 ms bins up to 5 s, then one overflow bin) so that recording costs
no memory growth, whatever the number of sessions and seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

BIN_SECONDS = 0.0001
MAX_TRACKED_SECONDS = 5.0
_BINS = round(MAX_TRACKED_SECONDS / BIN_SECONDS)


@dataclass
class LagHistogram:
    """Counts of frame lags in ``BIN_SECONDS`` bins; the last bin collects everything from 5 s up."""

    counts: list[int] = field(default_factory=lambda: [0] * (_BINS + 1))
    max_seconds: float = 0.0
    total: int = 0

    def record(self, lag: float) -> None:
        index = int(lag / BIN_SECONDS) if lag > 0.0 else 0
        self.counts[index if index < _BINS else _BINS] += 1
        self.total += 1
        if lag > self.max_seconds:
            self.max_seconds = lag

    def merge(self, other: LagHistogram) -> None:
        self.counts = [mine + theirs for mine, theirs in zip(self.counts, other.counts, strict=True)]
        self.max_seconds = max(self.max_seconds, other.max_seconds)
        self.total += other.total

    def percentile(self, share: float) -> float:
        """The lag (upper edge of its bin, in seconds) below or at which ``share`` of the frames lie; the
        maximum seen when that falls in the overflow bin. NaN when nothing was recorded."""
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"share must be in [0, 1], got {share}")
        if self.total == 0:
            return math.nan
        rank = max(1, math.ceil(share * self.total))  # the rank-th smallest lag (nearest-rank method)
        seen = 0
        for index, count in enumerate(self.counts):
            seen += count
            if seen >= rank:
                return (
                    self.max_seconds if index == _BINS else min((index + 1) * BIN_SECONDS, self.max_seconds)
                )
        return self.max_seconds

    def to_sparse(self) -> dict[str, object]:
        """A compact picklable/JSON form: only the non-empty bins."""
        return {
            "bins": {index: count for index, count in enumerate(self.counts) if count},
            "max_seconds": self.max_seconds,
            "total": self.total,
        }

    @classmethod
    def from_sparse(cls, data: dict[str, object]) -> LagHistogram:
        histogram = cls()
        bins = data["bins"]
        assert isinstance(bins, dict)
        for index, count in bins.items():
            histogram.counts[int(index)] = int(count)
        histogram.max_seconds = float(data["max_seconds"])  # type: ignore[arg-type]
        histogram.total = int(data["total"])  # type: ignore[call-overload]
        return histogram

    @classmethod
    def of(cls, lags: Sequence[float]) -> LagHistogram:
        histogram = cls()
        for lag in lags:
            histogram.record(lag)
        return histogram


class LagProbe:
    """One session's schedule: records the lag of each frame the input stage forwards, once the feeder has
    started (``start``) and while the worker's measurement window is open (``recording`` returns True)."""

    def __init__(
        self, histogram: LagHistogram, clock: Callable[[], float], recording: Callable[[], bool]
    ) -> None:
        self._histogram = histogram
        self._clock = clock
        self._recording = recording
        self._origin: float | None = None

    def start(self, origin: float) -> None:
        self._origin = origin

    def frame_forwarded(self, media_end: float) -> None:
        """The input stage forwards the frame whose audio ends at media time ``media_end`` (seconds)."""
        if self._origin is not None and self._recording():
            self._histogram.record(self._clock() - (self._origin + media_end))
