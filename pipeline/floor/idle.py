"""Inactivity: when neither side has spoken for ``idle.timeout``, remind the caller (fixed text or LLM-written),
up to ``max_reminders`` times, then say goodbye and end the call. The caller may ask for more time (the
``hold_on`` tool). A countdown event each second before the next action lets a UI show it."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

import anyio

from pipeline.observe.bus import EventBus
from pipeline.observe.events import InactivityCountdown, UserIdle
from pipeline.settings import IdleSettings


class IdleAction(Enum):
    REMINDER = "reminder"
    GOODBYE = "goodbye"


class IdleMonitor:
    def __init__(
        self,
        settings: IdleSettings,
        bus: EventBus,
        *,
        is_idle: Callable[[], bool],
        remind: Callable[[int], None],
        say_goodbye: Callable[[str], None],
        caller_away: Callable[[], None],
    ) -> None:
        self.settings = settings
        self._bus = bus
        self._is_idle = is_idle
        self._remind = remind
        self._say_goodbye = say_goodbye
        self._caller_away = caller_away
        self._changed: anyio.Event | None = None
        self._idle_since: float | None = None
        self._extra_wait = 0.0
        self.reminders_sent = 0

    def touch(self, *, caller_spoke: bool = False) -> None:
        """Something happened on the line; ``caller_spoke`` resets the reminder count."""
        if caller_spoke:
            self.reminders_sent = 0
            self._extra_wait = 0.0
        if self._changed is not None:
            self._changed.set()

    def extend(self, seconds: float) -> None:
        """The caller asked for time: the next reminder waits at least ``seconds``."""
        self._extra_wait = max(self._extra_wait, seconds)
        self.touch()

    async def run(self) -> None:
        while self.settings.timeout is not None:
            self._changed = anyio.Event()
            if not self._is_idle():
                self._idle_since = None
                await self._changed.wait()
                continue
            now = anyio.current_time()
            if self._idle_since is None:
                self._idle_since = now
            deadline = self._idle_since + max(self.settings.timeout, self._extra_wait)
            if await self._count_down(deadline):
                continue  # activity: start over
            self._act(anyio.current_time() - self._idle_since)
            self._idle_since = None

    async def _count_down(self, deadline: float) -> bool:
        """Wait for ``deadline``, emitting a countdown event each second of its last ``countdown`` seconds;
        True if activity interrupted the wait."""
        assert self._changed is not None
        while (remaining := deadline - anyio.current_time()) > 1e-9:
            if remaining <= self.settings.countdown + 1e-9:
                self._bus.emit(
                    InactivityCountdown,
                    seconds_left=round(remaining, 3),
                    next_action=self._next_action().value,
                    reminders_sent=self.reminders_sent,
                )
                step = min(1.0, remaining)
            else:
                step = remaining - self.settings.countdown
            with anyio.move_on_after(step):
                await self._changed.wait()
                return True
        return False

    def _next_action(self) -> IdleAction:
        return (
            IdleAction.REMINDER if self.reminders_sent < self.settings.max_reminders else IdleAction.GOODBYE
        )

    def _act(self, idle_seconds: float) -> None:
        action = self._next_action()
        self._bus.emit(
            UserIdle, idle_seconds=idle_seconds, action=action.value, reminders_sent=self.reminders_sent
        )
        if self.reminders_sent == 0:
            self._caller_away()
        self._extra_wait = 0.0
        if action is IdleAction.REMINDER:
            self.reminders_sent += 1
            self._remind(self.reminders_sent)
        else:
            self.settings = self.settings.model_copy(update={"timeout": None})  # once only
            self._say_goodbye(self.settings.goodbye)
