"""How a session is asked to end: the first request sets why (``reason``, ``error``) and how (at once, or
letting speech in progress play out)."""

from __future__ import annotations

import anyio


class EndRequest:
    """The end of one session: requested once (later requests change nothing), then done."""

    def __init__(self) -> None:
        self.requested = anyio.Event()
        self.done = anyio.Event()
        self.reason = "ended"
        self.error: str | None = None
        self._at_once = False  # a hang-up: no drain

    @property
    def is_requested(self) -> bool:
        return self.requested.is_set()

    def request(self, reason: str, error: str | None = None) -> None:
        if not self.requested.is_set():
            self.reason, self.error = reason, error
            self.requested.set()

    def request_at_once(self, reason: str, error: str | None = None) -> None:
        """The caller is gone: nobody would hear speech in progress (unless an end was already under way)."""
        if not self.requested.is_set():
            self._at_once = True
        self.request(reason, error)

    def may_drain(self, heard: bool) -> bool:
        """Speech in progress may finish only if someone hears it: not after an error or a hang-up, nor when
        nobody reads the agent's audio (``heard``)."""
        return not self._at_once and self.reason != "error" and heard
