"""Inactivity: when neither side has spoken for ``idle.timeout``, remind the caller (fixed text or LLM-written),
up to ``max_reminders`` times, then say goodbye and end the call. The caller may ask for more time (the
``hold_on`` tool). A countdown event each second before the next action lets a UI show it."""

from __future__ import annotations

from enum import Enum
from typing import Protocol

import anyio

from pipeline.observe.bus import EventBus
from pipeline.observe.events import InactivityCountdown, UserIdle
from pipeline.settings import IdleSettings


class IdleAction(Enum):
    REMINDER = "reminder"
    GOODBYE = "goodbye"


LLM_REMINDER_NOTE = "The caller has been silent for a while. Briefly check whether they are still there."


class Line(Protocol):
    """The conversation as the idle monitor sees it (the interruption controller)."""

    def is_quiet(self) -> bool:
        """Nobody is talking and nothing is pending."""
        ...

    def say(self, text: str) -> object: ...

    def prompt_reply(self, note: str) -> None:
        """Add ``note`` to the context and let the LLM write a reply."""
        ...

    def caller_away(self) -> None: ...

    def goodbye(self, text: str) -> None:
        """Say ``text`` and end the call."""
        ...


class IdleMonitor:
    def __init__(self, settings: IdleSettings, bus: EventBus) -> None:
        self._settings = settings
        self._bus = bus
        self._goodbye_said = False
        self._changed: anyio.Event | None = None
        self._idle_since: float | None = None
        self._extra_wait = 0.0
        self.reminders_sent = 0

    def apply(self, settings: IdleSettings) -> None:
        """New idle settings, effective from now."""
        self._settings = settings
        self.touch()

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

    async def run(self, line: Line) -> None:
        """Watch ``line`` (the interruption controller) for the life of the session."""
        while True:
            if self._settings.timeout is None or self._goodbye_said:
                self._changed = anyio.Event()
                await self._changed.wait()  # off: until new settings turn it on
                continue
            self._changed = anyio.Event()
            if not line.is_quiet():
                self._idle_since = None
                await self._changed.wait()
                continue
            now = anyio.current_time()
            if self._idle_since is None:
                self._idle_since = now
            deadline = self._idle_since + max(self._settings.timeout, self._extra_wait)
            if await self._count_down(deadline):
                continue  # activity: start over
            self._act(line, anyio.current_time() - self._idle_since)
            self._idle_since = None

    async def _count_down(self, deadline: float) -> bool:
        """Wait for ``deadline``, emitting a countdown event each second of its last ``countdown`` seconds;
        True if activity interrupted the wait."""
        assert self._changed is not None
        while (remaining := deadline - anyio.current_time()) > 1e-9:
            if remaining <= self._settings.countdown + 1e-9:
                self._bus.emit(
                    InactivityCountdown,
                    seconds_left=round(remaining, 3),
                    next_action=self._next_action().value,
                    reminders_sent=self.reminders_sent,
                )
                step = min(1.0, remaining)
            else:
                step = remaining - self._settings.countdown
            with anyio.move_on_after(step):
                await self._changed.wait()
                return True
        return False

    def _next_action(self) -> IdleAction:
        return (
            IdleAction.REMINDER if self.reminders_sent < self._settings.max_reminders else IdleAction.GOODBYE
        )

    def _act(self, line: Line, idle_seconds: float) -> None:
        action = self._next_action()
        self._bus.emit(
            UserIdle, idle_seconds=idle_seconds, action=action.value, reminders_sent=self.reminders_sent
        )
        if self.reminders_sent == 0:
            line.caller_away()
        self._extra_wait = 0.0
        if action is IdleAction.GOODBYE:
            self._goodbye_said = True  # once only
            line.goodbye(self._settings.goodbye)
            return
        self.reminders_sent += 1
        if self._settings.llm_reminders or not self._settings.reminders:
            line.prompt_reply(LLM_REMINDER_NOTE)
        else:
            line.say(self._settings.reminders[(self.reminders_sent - 1) % len(self._settings.reminders)])
