"""Delivers a session's events to subscribers: decorated async handlers (chosen by their type annotation) and
async iterators. Each subscriber has its own bounded queue, so a slow or failing listener never stalls the
pipeline; a handler that raises is isolated and reported as an ``ErrorEvent``."""

from __future__ import annotations

import inspect
import logging
import types
import typing
from collections.abc import Awaitable, Callable, Collection
from typing import Any, TypeVar

import anyio
from anyio.abc import TaskGroup

from pipeline.base.channel import Channel, Overflow
from pipeline.base.clock import SessionClock
from pipeline.observe.events import ErrorEvent, Event
from providers.redact import redact

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Handler = Callable[[Any], Awaitable[None]]

HANDLER_FAILED = "handler_failed"


def event_types_of(handler: Handler) -> tuple[type[Event], ...]:
    """The event classes a handler accepts, read from its first parameter's annotation (unions allowed)."""
    if not inspect.iscoroutinefunction(handler):
        raise TypeError(f"event handler {_name(handler)} must be an async function (async def)")
    params = list(inspect.signature(handler).parameters.values())
    if not params:
        raise TypeError(f"event handler {_name(handler)} must take the event as its first parameter")
    hints = typing.get_type_hints(handler)
    annotation = hints.get(params[0].name)
    if annotation is None:
        raise TypeError(f"event handler {_name(handler)}: annotate its first parameter with an event type")
    members = typing.get_args(annotation) if _is_union(annotation) else (annotation,)
    for member in members:
        if not (isinstance(member, type) and issubclass(member, Event)):
            raise TypeError(f"event handler {_name(handler)}: {member!r} is not an event type")
    return tuple(members)


def _is_union(annotation: object) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _name(handler: Handler) -> str:
    return getattr(handler, "__qualname__", repr(handler))


class EventSubscription:
    """An async iterator over the session's events; ends when the session ends."""

    def __init__(self, name: str, accepts: tuple[type[Event], ...], size: int) -> None:
        self.name = name
        self.accepts = accepts
        self._channel: Channel[Event] = Channel(name, size, Overflow.DROP_OLDEST, on_drop=_log_drop)

    @property
    def dropped(self) -> int:
        return self._channel.dropped

    @property
    def pending(self) -> int:
        """Events queued and not yet taken."""
        return len(self._channel)

    def deliver(self, event: Event) -> None:
        if isinstance(event, self.accepts) and not self._channel.closed:
            self._channel.send_nowait(event)

    def close(self) -> None:
        self._channel.close()

    def __aiter__(self) -> EventSubscription:
        return self

    async def __anext__(self) -> Event:
        return await self._channel.__anext__()


def _log_drop(name: str, total: int) -> None:
    if total & (total - 1) == 0:  # 1, 2, 4, 8...: loud enough, never a flood
        logger.warning("event subscriber %s is too slow: %d events dropped so far", name, total)


class EventBus:
    def __init__(
        self,
        session_id: str,
        *,
        clock: SessionClock | None = None,
        muted: Collection[str] = (),
        queue_size: int = 1024,
    ) -> None:
        self.session_id = session_id
        self.clock = clock or SessionClock()
        self.muted = set(muted)
        self._queue_size = queue_size
        self._subscriptions: list[EventSubscription] = []
        self._pending_handlers: list[tuple[Handler, EventSubscription]] = []
        self._task_group: TaskGroup | None = None
        self._busy_handlers: dict[str, EventSubscription] = {}  # handler tasks still running, by name
        self._handlers_idle: anyio.Event | None = None  # made when someone waits for them

    @property
    def subscriber_count(self) -> int:
        """Handlers and iterators listening (each costs a queue put per matching event)."""
        return len(self._subscriptions)

    def now(self) -> float:
        """Seconds since the session started, on the session's clock."""
        return self.clock.now()

    def is_muted(self, cls: type[Event]) -> bool:
        return bool(self.muted) and cls.model_fields["type"].default in self.muted

    def emit(self, cls: type[E], /, **fields: Any) -> E | None:
        if self.is_muted(cls):
            return None
        if "message" in fields and isinstance(fields["message"], str):
            fields["message"] = redact(fields["message"])  # never an event with a credential in it
        if "error" in fields and isinstance(fields["error"], str):
            fields["error"] = redact(fields["error"])
        event = cls(timestamp=self.now(), session_id=self.session_id, **fields)
        for subscription in self._subscriptions:
            subscription.deliver(event)
        return event

    def on(self, handler: Handler) -> Handler:
        """Decorator: call ``handler`` for every event matching its annotation."""
        accepts = event_types_of(handler)
        subscription = EventSubscription(f"handler {_name(handler)}", accepts, self._queue_size)
        self._subscriptions.append(subscription)
        if self._task_group is None:
            self._pending_handlers.append((handler, subscription))
        else:
            self._task_group.start_soon(self._run_handler, handler, subscription)
        return handler

    def subscribe(
        self, accepts: tuple[type[Event], ...] = (Event,), size: int | None = None
    ) -> EventSubscription:
        subscription = EventSubscription("iterator", accepts, size or self._queue_size)
        self._subscriptions.append(subscription)
        return subscription

    def start(self, task_group: TaskGroup) -> None:
        self.clock.start()
        self._task_group = task_group
        for handler, subscription in self._pending_handlers:
            task_group.start_soon(self._run_handler, handler, subscription)
        self._pending_handlers.clear()

    def close(self) -> None:
        """After the last event: iterators end once drained, handler tasks finish their queues."""
        for subscription in self._subscriptions:
            subscription.close()

    async def finish_handlers(self, timeout: float) -> list[str]:
        """After ``close``: give handler tasks ``timeout`` seconds to finish their queues, then cancel the rest
        (teardown is bounded whatever a handler does). Returns a description of each handler cut short."""
        if self._busy_handlers:
            self._handlers_idle = anyio.Event()
            with anyio.move_on_after(timeout):
                await self._handlers_idle.wait()
        stuck = [
            f"{name} ({subscription.pending} events unhandled)"
            for name, subscription in self._busy_handlers.items()
        ]
        if stuck and self._task_group is not None:
            logger.warning(
                "event handlers did not finish within %g s after the session ended and were cancelled: %s",
                timeout,
                ", ".join(stuck),
            )
            self._task_group.cancel_scope.cancel()
        return stuck

    async def _run_handler(self, handler: Handler, subscription: EventSubscription) -> None:
        key = f"{subscription.name}#{id(subscription)}"
        self._busy_handlers[key] = subscription
        try:
            await self._handle_all(handler, subscription)
        finally:
            del self._busy_handlers[key]
            if not self._busy_handlers and self._handlers_idle is not None:
                self._handlers_idle.set()

    async def _handle_all(self, handler: Handler, subscription: EventSubscription) -> None:
        async for event in subscription:
            try:
                await handler(event)
            except Exception as exc:
                if isinstance(event, ErrorEvent) and event.code == HANDLER_FAILED:
                    continue  # never loop on a handler that fails on its own failure report
                logger.exception("event handler %s failed", _name(handler))
                self.emit(
                    ErrorEvent,
                    source=f"handler:{_name(handler)}",
                    code=HANDLER_FAILED,
                    message=f"{type(exc).__name__}: {exc}",
                    recoverable=True,
                )
