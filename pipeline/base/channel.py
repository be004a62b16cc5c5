"""Bounded channels between pipeline stages, each with a declared size and overflow policy.

* ``Overflow.BACKPRESSURE`` (text, control): ``send`` waits until there is room.
* ``Overflow.DROP_OLDEST`` (real-time audio from a transport): ``send`` never waits; when full, the oldest item is
  dropped, counted, and reported through ``on_drop`` so the drop becomes a metrics event, never silent.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from enum import Enum
from typing import Generic, TypeVar

import anyio

T = TypeVar("T")


class Overflow(Enum):
    BACKPRESSURE = "backpressure"
    DROP_OLDEST = "drop_oldest"


class ChannelClosed(Exception):
    """Sending on a channel that was closed."""


class Channel(Generic[T]):
    def __init__(
        self,
        name: str,
        size: int,
        overflow: Overflow = Overflow.BACKPRESSURE,
        on_drop: Callable[[str, int], None] | None = None,
    ) -> None:
        if size <= 0:
            raise ValueError(f"channel {name!r}: size must be positive")
        self.name = name
        self.size = size
        self.overflow = overflow
        self.dropped = 0
        self._on_drop = on_drop
        self._items: deque[T] = deque()
        self._closed = False
        self._receivers: deque[anyio.Event] = deque()
        self._senders: deque[anyio.Event] = deque()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def closed(self) -> bool:
        return self._closed

    async def send(self, item: T) -> None:
        while not self._try_send(item):
            await self._wait(self._senders)

    async def wait_for_room(self) -> None:
        """Until a ``send`` would not wait (or the channel is closed): lets a sender check, once there is
        room, that what it was about to send is still wanted."""
        while not self._closed and self.overflow is Overflow.BACKPRESSURE and len(self._items) >= self.size:
            await self._wait(self._senders)

    def send_nowait(self, item: T) -> bool:
        """Send without waiting. Returns False when a backpressure channel is full (nothing is queued then)."""
        return self._try_send(item)

    async def receive(self) -> T:
        """The next item; raises ``anyio.EndOfStream`` once the channel is closed and drained."""
        while not self._items:
            if self._closed:
                raise anyio.EndOfStream
            await self._wait(self._receivers)
        item = self._items.popleft()
        self._wake(self._senders)
        return item

    def receive_nowait(self) -> T | None:
        if not self._items:
            return None
        item = self._items.popleft()
        self._wake(self._senders)
        return item

    def clear(self) -> int:
        """Discard everything queued (not counted as drops: it is a deliberate flush). Returns how many."""
        count = len(self._items)
        self._items.clear()
        while self._senders:
            self._senders.popleft().set()
        return count

    def close(self) -> None:
        """No more sends; receivers get what is queued, then EndOfStream."""
        self._closed = True
        for waiters in (self._receivers, self._senders):
            while waiters:
                waiters.popleft().set()

    def __aiter__(self) -> Channel[T]:
        return self

    async def __anext__(self) -> T:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    def _try_send(self, item: T) -> bool:
        if self._closed:
            raise ChannelClosed(f"channel {self.name!r} is closed")
        if len(self._items) >= self.size:
            if self.overflow is Overflow.BACKPRESSURE:
                return False
            self._items.popleft()
            self.dropped += 1
            if self._on_drop is not None:
                self._on_drop(self.name, self.dropped)
        self._items.append(item)
        self._wake(self._receivers)
        return True

    @staticmethod
    def _wake(waiters: deque[anyio.Event]) -> None:
        if waiters:
            waiters.popleft().set()

    async def _wait(self, waiters: deque[anyio.Event]) -> None:
        event = anyio.Event()
        waiters.append(event)
        try:
            await event.wait()
        except BaseException:
            # Cancelled: give up our place; if we were already woken, pass the wake-up on.
            if event.is_set():
                self._wake(waiters)
            else:
                waiters.remove(event)
            raise
