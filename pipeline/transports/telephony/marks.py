"""Playback marks on a phone stream: what the caller has really heard of each agent speech.

A mark named ``<speech id>:<milliseconds>`` follows the audio of a speech every ``interval`` seconds; when the
platform sends it back, that much of the speech has played. After a ``clear`` the platform returns the pending
marks as *cleared*, not played (Twilio, Telnyx), so marks of a cleared speech are ignored from then on.
"""

from __future__ import annotations

SEPARATOR = ":"


class PlaybackMarks:
    """Per speech: seconds sent, the last mark sent, and whether it was cleared."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self._sent: dict[str, float] = {}
        self._marked: dict[str, float] = {}
        self.cleared: set[str] = set()

    def on_sent(self, speech_id: str, seconds: float) -> str | None:
        """Audio of ``speech_id`` went out; returns a mark name to send after it when one is due."""
        sent = self._sent.get(speech_id, 0.0) + seconds
        self._sent[speech_id] = sent
        if sent - self._marked.get(speech_id, 0.0) < self.interval - 1e-9:
            return None
        self._marked[speech_id] = sent
        return f"{speech_id}{SEPARATOR}{round(sent * 1000)}"

    def on_mark(self, name: str) -> tuple[str, float] | None:
        """A mark came back: (speech id, seconds played), or None for a cleared speech or a foreign mark."""
        speech_id, _, millis = name.rpartition(SEPARATOR)
        if not speech_id or not millis.isdigit() or speech_id in self.cleared:
            return None
        return speech_id, int(millis) / 1000

    def on_clear(self, speech_id: str) -> None:
        self.cleared.add(speech_id)
        self._sent.pop(speech_id, None)
        self._marked.pop(speech_id, None)
