"""Simulated callers (transports): a WAV file played in real time (on the session clock)."""

from __future__ import annotations

from pathlib import Path

from pipeline.base.audio import AudioFrame, read_wav, split_frames
from pipeline.base.clock import Pacer
from pipeline.transports.transport import CallEnd, CallLine


class PacedLine:
    """A simulated caller's side of the line: frames go into the session in real time, paced on an absolute
    deadline grid (see ``Pacer``), stamped with their media time (and recorded by the line)."""

    def __init__(self, line: CallLine) -> None:
        self.line = line
        self.session = line.session
        self._pacer = Pacer()
        self._media_time = 0.0

    async def send(self, frame: AudioFrame) -> None:
        frame = AudioFrame(frame.pcm, frame.sample_rate, self._media_time)
        self._media_time += frame.duration
        self.line.push_audio(frame)
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
    """Plays a recording as the caller, in real time, then waits for the agent to finish (a ``Transport``).

    The file is read (and converted to the pipeline format) up front, so a bad file fails before the call.
    """

    def __init__(self, path: str | Path, sample_rate: int) -> None:
        self.path = Path(path)
        self.audio, self.info = read_wav(self.path, sample_rate)

    async def send(self, frame: AudioFrame) -> None:
        """A recording does not listen."""

    def clear(self, speech_id: str) -> None:
        """Nothing is buffered on a recording's side."""

    async def run(self, line: CallLine) -> CallEnd:
        settings = line.session.settings.audio
        paced = PacedLine(line)
        for frame in split_frames(self.audio, settings.frame_ms):
            await paced.send(frame)
        await paced.silence_until_idle(frame_ms=settings.frame_ms)
        return CallEnd.completed()
