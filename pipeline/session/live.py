"""The live-stream interface style: ``session.run_live()`` yields simple turn-level items instead of events.

    async for item in session.run_live():
        if item.error_code and not item.recoverable:
            break                      # stop: the session is ending (the iterator would end by itself)
        if item.role == "user" and item.turn_complete: ...
        if item.role == "agent" and item.partial: print(item.text, end="")

Continue vs stop: an item with ``error_code`` and ``recoverable=True`` (a provider hiccup, a failed tool handler)
needs nothing from you — keep iterating, the call goes on. ``recoverable=False`` means the session is ending:
stop sending audio and finish; the iterator ends after the session has ended (``role == "session"``,
``turn_complete=True``). ``interrupted`` on an agent item means the caller barged in: what follows is the
caller's next turn, and ``text`` is only what the caller heard.

Which event makes which item is the table in ``live_item``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from pipeline.observe.events import (
    AgentStoppedSpeaking,
    AgentTranscriptDelta,
    EndOfUserTurn,
    ErrorEvent,
    Event,
    Interruption,
    SessionEnded,
    UserTranscript,
)

LIVE_EVENTS: tuple[type[Event], ...] = (
    UserTranscript,
    EndOfUserTurn,
    AgentTranscriptDelta,
    AgentStoppedSpeaking,
    Interruption,
    ErrorEvent,
    SessionEnded,
)


@dataclass(frozen=True)
class LiveItem:
    """One turn-level item: who (``role``), the ``text``, and the flags.

    * ``partial``: more text of this turn will follow (interim caller words, agent deltas);
    * ``turn_complete``: the turn is over (caller: what the agent answers; agent: what the caller heard);
    * ``interrupted``: the agent's turn was cut by the caller;
    * ``error_code`` / ``recoverable``: something failed (see the module doc: continue vs stop).
    """

    role: Literal["user", "agent", "session"]
    text: str = ""
    partial: bool = False
    turn_complete: bool = False
    interrupted: bool = False
    error_code: str | None = None
    recoverable: bool = True
    turn_id: int | None = None


def live_item(event: Event) -> LiveItem | None:
    """The item ``event`` makes, if any."""
    turn = event.turn_id
    match event:
        case UserTranscript(text=text, is_final=is_final):
            return LiveItem("user", text, partial=not is_final, turn_id=turn)
        case EndOfUserTurn(transcript=transcript):
            return LiveItem("user", transcript, turn_complete=True, turn_id=turn)
        case AgentTranscriptDelta(text=text):
            return LiveItem("agent", text, partial=True, turn_id=turn)
        case Interruption():
            return LiveItem("agent", interrupted=True, turn_id=turn)
        case AgentStoppedSpeaking(heard_text=heard, interrupted=interrupted):
            return LiveItem("agent", heard, turn_complete=True, interrupted=interrupted, turn_id=turn)
        case ErrorEvent(code=code, message=message, recoverable=recoverable):
            return LiveItem("session", message, error_code=code, recoverable=recoverable, turn_id=turn)
        case SessionEnded(reason=reason):
            return LiveItem("session", reason, turn_complete=True)
    return None


async def live_items(events: AsyncIterator[Event]) -> AsyncIterator[LiveItem]:
    """Items from ``events`` until the session has ended."""
    async for event in events:
        item = live_item(event)
        if item is not None:
            yield item
        if isinstance(event, SessionEnded):
            return
