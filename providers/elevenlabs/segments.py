"""Which pushed segments (sentences) a context's audio has finished, by counting the aligned characters.

The websocket tags audio with a context, not with the text message it speaks; but the original-text alignment
lists the characters spoken, in order. Counting non-space characters against each pushed segment tells when a
segment's audio is complete (for ``TtsSegmentEnd``) and when the whole reply has arrived (to close the context).
If the count can no longer be trusted (no original alignment, or more characters than were sent), the tracker
says so and the context falls back to waiting for quiet and ``isFinal``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass
class _Segment:
    text: str
    remaining: int  # non-space characters not yet heard of


class SegmentTracker:
    def __init__(self) -> None:
        self._pending: deque[_Segment] = deque()
        self._reliable = True

    @property
    def reliable(self) -> bool:
        return self._reliable

    @property
    def all_spoken(self) -> bool:
        """Every pushed segment's audio has arrived (only meaningful while ``reliable``)."""
        return not self._pending

    def pushed(self, text: str) -> None:
        self._pending.append(_Segment(text, sum(1 for char in text if not char.isspace())))

    def on_audio(self, spoken: int | None) -> list[str]:
        """Texts of the segments completed by audio speaking ``spoken`` more characters (None: unknown)."""
        if spoken is None:
            self._reliable = False
            return []
        if not self._reliable:
            return []
        done: list[str] = []
        while self._pending:
            head = self._pending[0]
            taken = min(head.remaining, spoken)
            head.remaining -= taken
            spoken -= taken
            if head.remaining > 0:
                break
            done.append(self._pending.popleft().text)
        if spoken > 0:
            self._reliable = False  # more characters than were sent: counting is off from here on
        return done

    def finish(self) -> list[str]:
        """The context is over: every segment still pending ends now."""
        texts = [segment.text for segment in self._pending]
        self._pending.clear()
        return texts
