"""Caller sources for ``run``: a WAV file played in real time (on the session clock)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import anyio

from pipeline.base.audio import AudioFrame, read_wav, split_frames
from pipeline.session.session import Session
from pipeline.transports.recorder import CallRecorder


class CallerSource(Protocol):
    async def run(self, session: Session, recorder: CallRecorder) -> None:
        """Push the caller's audio; return when the call is over from the caller's side."""
        ...

    def hear(self, frame: AudioFrame) -> None:
        """An agent frame as it leaves the pipeline (a live caller plays it)."""
        ...


async def push_frame(session: Session, recorder: CallRecorder, frame: AudioFrame) -> None:
    recorder.caller(frame, session.now())
    session.push_audio(frame)
    await anyio.sleep(frame.duration)


async def push_silence_until_idle(
    session: Session, recorder: CallRecorder, *, quiet: float = 1.5, limit: float = 60.0, frame_ms: int = 20
) -> None:
    """Keep the line open (silence) until the agent has been listening, with nothing pending, for ``quiet`` s."""
    rate = session.settings.audio.sample_rate
    frame = AudioFrame.silence(frame_ms / 1000, rate)
    quiet_since: float | None = None
    waited = 0.0
    while waited < limit and session.running:
        now = session.now()
        quiet_since = (quiet_since if quiet_since is not None else now) if session.is_quiet() else None
        if quiet_since is not None and now - quiet_since >= quiet:
            return
        await push_frame(session, recorder, frame)
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
        for frame in split_frames(self.audio, settings.frame_ms):
            await push_frame(session, recorder, frame)
        await push_silence_until_idle(session, recorder, frame_ms=settings.frame_ms)
