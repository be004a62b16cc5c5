"""The ``ToolContext`` a session gives the tools of one reply."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.stages.speech import Speech
from pipeline.stages.tools import ToolContext

if TYPE_CHECKING:
    from pipeline.session.session import Session


class SessionToolContext(ToolContext):
    def __init__(self, session: Session, speech: Speech) -> None:
        self.session = session
        self.speech = speech

    def end_call_after_reply(self, goodbye: str | None = None) -> None:
        """The call ends only if this reply is then spoken to the end: an interrupted reply's request is void."""
        self.speech.end_call_requested = True
        self.speech.end_call_goodbye = goodbye

    def extend_wait(self, seconds: float) -> None:
        self.session.extend_idle_wait(seconds)
