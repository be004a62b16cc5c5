"""Caller sources for ``run``: a WAV file played in real time (on the session clock)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pipeline.base.audio import AudioFrame, read_wav, split_frames
from pipeline.base.clock import Pacer
from pipeline.session.session import Session
from pipeline.transports.recorder import CallRecorder


class CallerSource(Protocol):
    async def run(self, session: Session, recorder: CallRecorder) -> None:
        """Push the caller's audio; return when the call is over from the caller's side."""
        ...

    def hear(self, frame: AudioFrame) -> None:
        """An agent frame as it leaves the pipeline (a live caller plays it)."""
        ...


class PacedLine:
    """A simulated caller's side of the line: frames go into the session in real time, paced on an absolute
    deadline grid (see ``Pacer``), stamped with their media time, and recorded."""

    def __init__(self, session: Session, recorder: CallRecorder) -> None:
        self.session = session
        self.recorder = recorder
        self._pacer = Pacer()
        self._media_time = 0.0

    async def send(self, frame: AudioFrame) -> None:
        frame = AudioFrame(frame.pcm, frame.sample_rate, self._media_time)
        self._media_time += frame.duration
        self.recorder.caller(frame, self.session.now())
        self.session.push_audio(frame)
        await self._pacer.wait_after(frame.duration)

    async def silence_until_idle(
        self, *, quiet: float = 1.5, limit: float = 60.0, frame_ms: int = 20
    ) -> None:
        """Keep the line open (silence) until the agent has been listening, with nothing pending, for
        ``quiet`` seconds."""
        session = self.session
        frame = AudioFrame.silence(frame_ms / 1000, session.settings.audio.sample_rate)
        quiet_since: float | None = None
        waited = 0.0
        while waited < limit and session.running:
            now = session.now()
            quiet_since = (quiet_since if quiet_since is not None else now) if session.is_quiet() else None
            if quiet_since is not None and now - quiet_since >= quiet:
                return
            await self.send(frame)
            waited += frame.duration


class WavCaller:
    """Plays a recording as the caller, in real time, then waits for the agent to finish.

    The file is read (and converted to the pipeline format) up front, so a bad file fails before the call.
    """

    def __init__(self, path: str | Path, sample_rate: int) -> None:
        self.path = Path(path)
        self.audio, self.info = read_wav(self.path, sample_rate)

    def hear(self, frame: AudioFrame) -> None:
        """A recording does not listen."""

    async def run(self, session: Session, recorder: CallRecorder) -> None:
        settings = session.settings.audio
        line = PacedLine(session, recorder)
        for frame in split_frames(self.audio, settings.frame_ms):
            await line.send(frame)
        await line.silence_until_idle(frame_ms=settings.frame_ms)
