"""What ``auto`` eagerness learns about one caller: how long they pause mid-turn, and how often the agent has
cut them off. One instance per policy (per call); the turn detector reports both kinds of event."""

from __future__ import annotations

from collections import deque

MAX_ADAPTIVE_DELAY = 3.0
PAUSE_MARGIN = 1.25  # the long wait covers this caller's longest recent pause with this margin
CUT_OFF_DOUBT = 0.6  # each cut-off raises p's exponent by this much: p=0.9 -> 0.85 -> 0.80 ...
MAX_DOUBT = 3.0


class CallerPauses:
    def __init__(self) -> None:
        self._pauses: deque[float] = deque(maxlen=8)
        self.cut_offs = 0
        self._doubt = 0.0

    def pause(self, seconds: float) -> None:
        """A mid-turn pause of the caller (silence from the end of speech to the start of the next)."""
        if seconds > 0:
            self._pauses.append(seconds)

    def cut_off(self, seconds: float, probability: float | None) -> None:
        """The agent decided after ``seconds`` of silence and the caller went on: that pause counts too, and
        "sounds finished" is trusted less from now on."""
        self.pause(seconds)
        self.cut_offs += 1
        self._doubt = min(MAX_DOUBT, self._doubt + CUT_OFF_DOUBT)

    def discounted(self, probability: float) -> float:
        """The probability as this caller's history warrants: ``p ** (1 + doubt)``."""
        return float(max(0.0, min(1.0, probability)) ** (1.0 + self._doubt))

    def stretched(self, incomplete_delay: float) -> float:
        """The long wait, stretched to cover this caller's longest recent pause."""
        if not self._pauses:
            return incomplete_delay
        return min(MAX_ADAPTIVE_DELAY, max(incomplete_delay, PAUSE_MARGIN * max(self._pauses)))
