"""The session clock: seconds since a session started, read from the async backend's clock (``anyio``), so a
whole conversation runs on virtual time in tests and on the event loop's monotonic clock in production."""

from __future__ import annotations

import anyio


class SessionClock:
    def __init__(self) -> None:
        self._origin: float | None = None

    @property
    def started(self) -> bool:
        return self._origin is not None

    def start(self) -> None:
        """Time zero is now (the session's start); later calls keep the first origin."""
        if self._origin is None:
            self._origin = anyio.current_time()

    def now(self) -> float:
        """Seconds since the start (0.0 before it)."""
        return 0.0 if self._origin is None else anyio.current_time() - self._origin


class Pacer:
    """Paces a real-time source on an absolute deadline grid: the n-th frame is due at start + the duration of
    the frames before it, so time spent between frames (the push itself, a busy event loop) never accumulates
    into drift — a source that fell behind sends without sleeping until it is back on the grid."""

    def __init__(self) -> None:
        self._due: float | None = None

    async def wait_after(self, seconds: float) -> None:
        """Sleep until the end of a frame of ``seconds`` that was just sent."""
        if self._due is None:
            self._due = anyio.current_time()
        self._due += seconds
        await anyio.sleep_until(self._due)
