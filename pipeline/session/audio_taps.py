"""The observers' audio taps of one session: each hears the caller's frames and the agent's frames."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from pipeline.base.audio import AudioFrame
from pipeline.base.channel import Channel
from pipeline.observe.bus import EventBus
from pipeline.observe.observer import AudioTap, CallInfo, SessionObserver


class AudioTaps:
    """Attaches the session's observers to its call and bus, and feeds the taps they return."""

    def __init__(self, observers: Iterable[SessionObserver], call: CallInfo, bus: EventBus) -> None:
        self._taps: list[AudioTap] = []
        for observer in observers:
            tap = observer.attach(call, bus)
            if tap is not None:
                self._taps.append(tap)

    def caller(self, frame: AudioFrame) -> None:
        """A caller frame the session took."""
        for tap in self._taps:
            tap.caller(frame)

    def agent_audio(self, out: Channel[AudioFrame]) -> AsyncIterator[AudioFrame]:
        """The agent's audio as read from ``out``, each frame also handed to the taps."""
        if not self._taps:
            return out.__aiter__()
        return self._tapped(out)

    async def _tapped(self, out: Channel[AudioFrame]) -> AsyncIterator[AudioFrame]:
        async for frame in out:
            for tap in self._taps:
                tap.agent(frame)
            yield frame

    def close(self) -> None:
        """Close every tap (once; later frames are not tapped)."""
        taps, self._taps = self._taps, []
        for tap in taps:
            tap.close()
