"""The server's life: serving -> draining -> stopped, and the calls in progress (the session limit).

One ``ServerLifecycle`` per worker process. ``/readyz`` is ready only while serving and below the session
limit. A drain (SIGTERM, or ``POST /drain`` from inside the pod) stops new calls at once, lets the calls in
progress go on until they end or the drain deadline passes, then stops the rest (close 1001) and tells the
HTTP server it may exit.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from enum import Enum

import anyio

log = logging.getLogger("parley.server")


class ServerPhase(Enum):
    SERVING = "serving"
    DRAINING = "draining"
    STOPPED = "stopped"


_TRANSITIONS = {
    ServerPhase.SERVING: {ServerPhase.DRAINING},
    ServerPhase.DRAINING: {ServerPhase.STOPPED},
    ServerPhase.STOPPED: set[ServerPhase](),
}


class Admission(Enum):
    ADMITTED = "admitted"
    AT_LIMIT = "at the session limit"
    DRAINING = "the server is draining"


class ServerLifecycle:
    def __init__(self, *, max_sessions: int, drain_deadline: float) -> None:
        self.max_sessions = max_sessions
        self.drain_deadline = drain_deadline
        self.phase = ServerPhase.SERVING
        self._calls: dict[int, Callable[[], None]] = {}  # call id -> how to stop it
        self._ids = itertools.count(1)
        self._call_ended = anyio.Event()
        self._drain_requested: anyio.Event | None = None
        self._drain_pending = False  # a drain asked for before ``run`` started
        self._loop: asyncio.AbstractEventLoop | None = None
        self.on_stopped: Callable[[], None] | None = None  # the HTTP server's exit (set by the runner)
        self.drain_everywhere: Callable[[], None] | None = None  # drain all workers (set by the pre-fork)
        self.sessions_total = 0

    @property
    def active_sessions(self) -> int:
        return len(self._calls)

    @property
    def ready(self) -> bool:
        return self.phase is ServerPhase.SERVING and self.active_sessions < self.max_sessions

    def admit(self, stop: Callable[[], None]) -> tuple[Admission, int]:
        """Take a new call (``stop`` ends it from the server's side); the id is for ``release``."""
        if self.phase is not ServerPhase.SERVING:
            return Admission.DRAINING, 0
        if self.active_sessions >= self.max_sessions:
            return Admission.AT_LIMIT, 0
        call_id = next(self._ids)
        self._calls[call_id] = stop
        self.sessions_total += 1
        return Admission.ADMITTED, call_id

    def release(self, call_id: int) -> None:
        if self._calls.pop(call_id, None) is not None:
            self._call_ended.set()
            self._call_ended = anyio.Event()

    # --- drain ----------------------------------------------------------------------------------------------

    async def run(self) -> None:
        """The drain watcher (runs for the app's lifetime): waits for a drain request, then drains."""
        self._drain_requested = anyio.Event()
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None  # not asyncio (tests on trio): drains are requested from the loop itself
        if self._drain_pending:  # a signal came while the server was still starting
            self._drain_requested.set()
        await self._drain_requested.wait()
        await self.drain()

    def request_drain(self) -> None:
        """Start draining; safe to call from a signal handler or another thread. A request that comes before
        ``run`` started (a SIGTERM while the worker was still starting) is kept, and ``run`` drains at once."""
        if self._drain_requested is None:
            self._drain_pending = True
            return
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._drain_requested.set)
        else:
            self._drain_requested.set()

    def request_drain_everywhere(self) -> None:
        """``POST /drain``: every worker process of the server drains, not only the one that took it."""
        if self.drain_everywhere is not None:
            self.drain_everywhere()
        else:
            self.request_drain()

    async def drain(self) -> None:
        if self.phase is not ServerPhase.SERVING:
            return
        self._move(ServerPhase.DRAINING)
        log.info(
            "draining: %d call(s) in progress, deadline %.0f s", self.active_sessions, self.drain_deadline
        )
        with anyio.move_on_after(self.drain_deadline):
            while self._calls:
                await self._call_ended.wait()
        if self._calls:
            log.info("drain deadline passed: stopping %d call(s)", len(self._calls))
            for stop in list(self._calls.values()):
                stop()
            with anyio.move_on_after(5.0):
                while self._calls:
                    await self._call_ended.wait()
        self._move(ServerPhase.STOPPED)
        log.info("drained")
        if self.on_stopped is not None:
            self.on_stopped()

    def _move(self, target: ServerPhase) -> None:
        if target not in _TRANSITIONS[self.phase]:
            raise RuntimeError(f"server cannot go from {self.phase.value} to {target.value}")
        self.phase = target
