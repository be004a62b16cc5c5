"""Watches one session: keeps every event and the departure time of every agent audio frame, and lets the
caller wait for an event (the agent started or stopped speaking, the turn was decided, ...)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio

from pipeline.observe.events import Event
from pipeline.session.session import Session

E = TypeVar("E", bound=Event)


@dataclass(frozen=True, slots=True)
class AgentFrame:
    left: float  # session time the frame left the pipeline (its timestamp)
    duration: float

    @property
    def end(self) -> float:
        """When the audio it carries has been sent in full (the caller has heard it)."""
        return self.left + self.duration


class SessionObserver:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._subscription = session.events()  # subscribe before the session starts: nothing is missed
        self._changed = anyio.Event()
        self.events: list[Event] = []
        self.frames: list[AgentFrame] = []

    async def collect_events(self) -> None:
        async for event in self._subscription:
            self.events.append(event)
            self._changed.set()
            self._changed = anyio.Event()

    async def collect_audio(self) -> None:
        async for frame in self._session.audio_out():
            self.frames.append(AgentFrame(frame.timestamp, frame.duration))

    def find(
        self,
        cls: type[E],
        where: Callable[[E], bool] = lambda event: True,
        *,
        since: float = -math.inf,
        after: Event | None = None,
    ) -> E | None:
        """The first event of type ``cls`` matching ``where``, at or after session time ``since`` and emitted
        after the event ``after`` (events emitted at the same instant keep their order)."""
        start = self._position(after) + 1 if after is not None else 0
        for event in self.events[start:]:
            if isinstance(event, cls) and event.timestamp >= since and where(event):
                return event
        return None

    def _position(self, event: Event) -> int:
        for index, seen in enumerate(self.events):
            if seen is event:
                return index
        raise ValueError(f"{event.type} was not observed in this session")

    def all(self, cls: type[E], where: Callable[[E], bool] = lambda event: True) -> list[E]:
        return [event for event in self.events if isinstance(event, cls) and where(event)]

    async def wait_for(
        self,
        cls: type[E],
        where: Callable[[E], bool] = lambda event: True,
        *,
        since: float = -math.inf,
        after: Event | None = None,
        timeout: float,
    ) -> E | None:
        """Wait (up to ``timeout`` seconds) for a matching event; None if it never came."""
        with anyio.move_on_after(timeout):
            while True:
                found = self.find(cls, where, since=since, after=after)
                if found is not None:
                    return found
                await self._changed.wait()
        return None

    def last_frame_before(self, start: float, stop: float) -> AgentFrame | None:
        """The last agent frame that left in [start, stop)."""
        chosen = None
        for frame in self.frames:
            if start <= frame.left < stop:
                chosen = frame
        return chosen
