"""Playback marks on a phone stream: where the caller's audio really is, as opposed to what was sent.

Marks are named after the agent audio sent so far on the call (``a<ms>``). A mark coming back means audio up to
that point has played. After a ``clear`` the platform returns the pending marks as *cleared*, not played
(Twilio, Telnyx), so marks are matched against the clear: anything named past the position when the clear was
sent is ignored.
"""

from __future__ import annotations

MARK_PREFIX = "a"


class PlaybackMarks:
    """Sent audio, played audio (from marks) and the clears in between, in seconds of agent audio."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.sent = 0.0  # seconds of agent audio sent on the call
        self.played = 0.0  # seconds confirmed played by marks
        self._last_mark = 0.0
        self._cleared_up_to = -1.0  # marks at or below this were pending at a clear: they mean "cleared"
        self.pending: list[float] = []

    def on_sent(self, seconds: float) -> str | None:
        """Audio went out; returns a mark name to send after it when one is due."""
        self.sent += seconds
        if self.sent - self._last_mark < self.interval - 1e-9:
            return None
        return self.mark_now()

    def mark_now(self) -> str:
        self._last_mark = self.sent
        self.pending.append(self.sent)
        return f"{MARK_PREFIX}{round(self.sent * 1000)}"

    def on_mark(self, name: str) -> float | None:
        """A mark came back: the new played position, or None when it is a cleared or foreign mark."""
        if not name.startswith(MARK_PREFIX) or not name[len(MARK_PREFIX) :].isdigit():
            return None
        position = int(name[len(MARK_PREFIX) :]) / 1000
        if position in self.pending:
            self.pending.remove(position)
        if position <= self._cleared_up_to + 1e-9:
            return None
        self.played = max(self.played, position)
        return self.played

    def on_clear(self) -> float:
        """A clear was sent: everything not yet confirmed is dropped. Returns the unplayed seconds dropped."""
        dropped = self.sent - self.played
        self._cleared_up_to = self.sent
        self.pending.clear()
        self.sent = self.played = max(self.sent, self.played)
        return dropped
