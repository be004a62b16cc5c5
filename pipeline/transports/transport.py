"""The transport interface: how one call's audio reaches a session and leaves it.

Every way into Parley implements ``Transport`` — the WAV caller, the demo caller, the microphone, the
``/ws`` WebSocket and the telephony media streams — and ``connect`` (in ``link.py``) runs it against a session:

* caller audio in: ``run(line)`` pushes PCM16 frames at the transport's own rate (it decodes its codec;
  the session resamples) into ``line`` until the caller's side is over, and says how it ended (``CallEnd``);
* agent audio out: ``send(frame)``, pipeline-rate PCM16 (the transport encodes); ``frame.speech_id`` names
  the speech it belongs to;
* ``clear(speech_id)``: called by the interruption controller at the moment of a barge-in — drop everything
  handed over and not played yet (Twilio ``clear``, Plivo ``clearAudio``, the browser's flush);
* playback marks (optional): a transport that learns what was really played reports it with
  ``line.playback_mark(speech_id, seconds)`` so the heard text follows it;
* hang-up: ``run`` returning ``CallEnd(reason, hang_up=True)`` (or raising) ends the session at once — the
  reply is cancelled, nothing waits for audio nobody will hear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pipeline.base.audio import AudioFrame
from pipeline.session.session import Session
from pipeline.transports.recorder import CallRecorder

COMPLETED = "completed"  # the caller's side ended normally (a recording is over): the agent may finish
CALLER_HUNG_UP = "caller_hung_up"  # the line dropped (a WebSocket disconnect)
CALLER_STOPPED = "caller_stopped"  # the caller's side said it is over (``end``, a platform ``stop``)
TRANSPORT_ERROR = "transport_error"  # the transport failed (its message is in the session_ended event)


@dataclass(frozen=True)
class CallEnd:
    """How the caller's side of a call ended. ``hang_up``: end the session at once (nobody listens any
    more); otherwise the agent's speech in progress may finish (up to the drain timeout)."""

    reason: str
    hang_up: bool = True
    error: str | None = None

    @classmethod
    def completed(cls) -> CallEnd:
        return cls(COMPLETED, hang_up=False)


class CallLine:
    """The session as a transport sees it: push caller audio, report playback, and the session itself (for
    control messages and events). Every caller frame pushed is also recorded when a recorder is given."""

    def __init__(self, session: Session, recorder: CallRecorder | None = None) -> None:
        self.session = session
        self._recorder = recorder

    def push_audio(self, frame: AudioFrame) -> bool:
        """Caller audio (PCM16 mono, any rate; never blocks). False once the session is ending."""
        if self._recorder is not None:
            self._recorder.caller(frame, self.session.now())
        return self.session.push_audio(frame)

    def playback_mark(self, speech_id: str, played_seconds: float) -> None:
        """The far end has played the first ``played_seconds`` of speech ``speech_id``."""
        self.session.playback_mark(speech_id, played_seconds)

    @property
    def running(self) -> bool:
        return self.session.running


class Transport(Protocol):
    """One call's line (see the module docstring)."""

    async def run(self, line: CallLine) -> CallEnd:
        """Push the caller's audio into ``line`` until the caller's side is over; say how it ended. Raising
        counts as a hang-up with reason ``transport_error``."""
        ...

    async def send(self, frame: AudioFrame) -> None:
        """An agent frame (pipeline rate) for the caller. Raising counts as a hang-up."""
        ...

    def clear(self, speech_id: str) -> None:
        """The agent was interrupted: drop the audio of ``speech_id`` handed over and not played yet.
        Called synchronously at the decision; it must not block (queue the platform's clear message)."""
        ...
