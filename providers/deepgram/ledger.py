"""What has to reach Deepgram, in order, and the audio to re-send if the socket drops.

Caller frames and control messages (Finalize, ForceEndTurn) queue up as *unsent* items. A frame that is sent
moves to the *sent* list with its end time on the current connection; a final transcript covering that time
*commits* it (drops it). When the socket drops, ``rewind`` puts the sent frames back in front of the unsent
ones, so the new connection hears the whole current turn again; the connection's clock restarts at 0.

The ``Timeline`` maps a connection's clock (what Deepgram's word times use) to the frames' media timestamps.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import anyio

from pipeline.base.audio import AudioFrame

logger = logging.getLogger(__name__)

_EPSILON = 1e-6
BACKLOG_MAX_SECONDS = 60.0  # audio waiting for a socket (while reconnecting) before the oldest is dropped


class Control(Enum):
    """A text message that must go out in order with the audio."""

    FINALIZE = "finalize"
    FORCE_END_TURN = "force_end_turn"


@dataclass(frozen=True, slots=True)
class _Sent:
    frame: AudioFrame
    end: float  # connection seconds at the end of this frame


class Timeline:
    """Connection seconds -> media seconds, piecewise: a new anchor wherever the audio sent is not contiguous."""

    def __init__(self) -> None:
        self._anchors: list[tuple[float, float]] = []  # (connection time, media time)

    def reset(self) -> None:
        self._anchors.clear()

    def note(self, connection_time: float, media_time: float) -> None:
        if not self._anchors or abs(self.to_media(connection_time) - media_time) > _EPSILON:
            self._anchors.append((connection_time, media_time))

    def forget_before(self, connection_time: float) -> None:
        """Drop anchors no longer needed for times at or after ``connection_time`` (keeps the one in force)."""
        keep = 0
        for index, (anchor, _) in enumerate(self._anchors):
            if anchor <= connection_time:
                keep = index
        del self._anchors[:keep]

    def to_media(self, connection_time: float) -> float:
        anchor_connection, anchor_media = 0.0, 0.0
        for anchor in self._anchors:
            if anchor[0] > connection_time + _EPSILON:
                break
            anchor_connection, anchor_media = anchor
        return anchor_media + connection_time - anchor_connection


class AudioLedger:
    def __init__(self, replay_max_seconds: float, backlog_max_seconds: float = BACKLOG_MAX_SECONDS) -> None:
        self.replay_max_seconds = replay_max_seconds
        self.backlog_max_seconds = backlog_max_seconds
        self.timeline = Timeline()
        self._unsent: deque[AudioFrame | Control] = deque()
        self._sent: deque[_Sent] = deque()
        self._offset = 0.0  # connection seconds sent on the current connection
        self._sent_seconds = 0.0
        self._unsent_seconds = 0.0
        self._changed = anyio.Event()
        self.dropped_seconds = 0.0  # audio never sent because the backlog was full

    @property
    def offset(self) -> float:
        """Seconds of audio sent on the current connection."""
        return self._offset

    @property
    def queued_until(self) -> float:
        """Connection seconds at the end of the audio queued so far (sent or not)."""
        return self._offset + self._unsent_seconds

    @property
    def replay_seconds(self) -> float:
        """Audio sent on this connection and not yet covered by a final."""
        return self._sent_seconds

    def push(self, item: AudioFrame | Control) -> None:
        self._unsent.append(item)
        if isinstance(item, AudioFrame):
            self._unsent_seconds += item.duration
            self._bound_backlog()
        self._changed.set()

    def has_unsent(self) -> bool:
        return bool(self._unsent)

    async def wait_for_unsent(self) -> None:
        while not self._unsent:
            self._changed = anyio.Event()
            await self._changed.wait()

    def take(self, max_bytes: int) -> list[AudioFrame] | Control | None:
        """The next control, or consecutive frames of at most ``max_bytes`` (at least one), marked as sent."""
        if not self._unsent:
            return None
        if isinstance(self._unsent[0], Control):
            return self._unsent.popleft()  # type: ignore[return-value]
        frames: list[AudioFrame] = []
        size = 0
        while self._unsent and isinstance(head := self._unsent[0], AudioFrame):
            if frames and size + len(head.pcm) > max_bytes:
                break
            self._unsent.popleft()
            frames.append(head)
            size += len(head.pcm)
            seconds = head.duration
            self.timeline.note(self._offset, head.timestamp)
            self._offset += seconds
            self._sent.append(_Sent(head, self._offset))
            self._unsent_seconds -= seconds
            self._sent_seconds += seconds
        self._bound_replay()
        return frames

    def commit_until(self, connection_time: float) -> None:
        """Deepgram has transcribed for good everything up to ``connection_time``: forget that audio."""
        while self._sent and self._sent[0].end <= connection_time + 1e-3:
            self._sent_seconds -= self._sent.popleft().frame.duration
        self.timeline.forget_before(connection_time)

    def rewind(self, after_replay: Sequence[Control] = ()) -> None:
        """A new connection: re-send the uncommitted audio first, then ``after_replay``, then the rest."""
        self._unsent.extendleft(reversed([*(item.frame for item in self._sent), *after_replay]))
        self._unsent_seconds += self._sent_seconds
        self._sent_seconds = 0.0
        self._sent.clear()
        self._offset = 0.0
        self.timeline.reset()
        self._changed.set()

    def _bound_replay(self) -> None:
        """Keep at most ``replay_max_seconds`` for re-sending; after a drop, older audio is not heard again."""
        while self._sent and self._sent_seconds > self.replay_max_seconds + _EPSILON:
            self._sent_seconds -= self._sent.popleft().frame.duration

    def _bound_backlog(self) -> None:
        """Audio waiting for a socket is capped; past it the oldest is lost (never transcribed)."""
        while self._unsent_seconds > self.backlog_max_seconds + _EPSILON:
            index = next(i for i, item in enumerate(self._unsent) if isinstance(item, AudioFrame))
            frame = self._unsent[index]
            assert isinstance(frame, AudioFrame)
            del self._unsent[index]
            self._unsent_seconds -= frame.duration
            if not self.dropped_seconds:
                logger.warning("Deepgram unreachable for long: the oldest caller audio is dropped")
            self.dropped_seconds += frame.duration
