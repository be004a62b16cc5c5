"""A session's audio on both sides: the caller's frames in (checked, buffered, dropped oldest-first when the
pipeline falls behind), the agent's frames out, the observers' taps on both, and the transports that drop
unplayed agent audio at an interruption."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path

from pipeline.base.audio import AudioFrame, read_wav, resample_int16
from pipeline.base.audio.wav import MAX_SAMPLE_RATE, MIN_SAMPLE_RATE
from pipeline.base.channel import Channel, ChannelClosed, Overflow
from pipeline.observe.bus import EventBus
from pipeline.observe.events import FramesDropped
from pipeline.observe.observer import AudioTap, CallInfo, SessionObserver
from pipeline.settings import AudioSettings

MAX_FRAME_SECONDS = 10.0  # one push_audio frame; real transports push 10-40 ms


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


class SessionAudio:
    """The caller-audio and agent-audio channels of one session, with the taps and output clearers."""

    def __init__(self, settings: AudioSettings, bus: EventBus, taps: AudioTaps) -> None:
        self._bus = bus
        self.caller_in: Channel[AudioFrame] = Channel(
            "caller-audio",
            max(1, settings.input_buffer_ms // settings.frame_ms),
            Overflow.DROP_OLDEST,
            on_drop=self._on_frames_dropped,
        )
        self.agent_out: Channel[AudioFrame] = Channel("agent-audio", settings.output_buffer_frames)
        self.taps = taps
        self._output_clearers: list[Callable[[str], None]] = []
        self.agent_out_read = False  # someone asked for the agent's audio: a drain at the end is heard

    def take_caller(self, frame: AudioFrame) -> bool:
        """Buffer a caller frame (never blocks); False once the caller's audio is closed."""
        try:
            self.caller_in.send_nowait(frame)
        except ChannelClosed:
            return False
        self.taps.caller(frame)
        return True

    def agent_frames(self) -> AsyncIterator[AudioFrame]:
        """The agent's audio, for its one consumer."""
        self.agent_out_read = True
        return self.taps.agent_audio(self.agent_out)

    def on_output_cleared(self, callback: Callable[[str], None]) -> Callable[[], None]:
        self._output_clearers.append(callback)
        return lambda: self._output_clearers.remove(callback) if callback in self._output_clearers else None

    def clear_output(self, speech_id: str) -> None:
        for clear in list(self._output_clearers):
            clear(speech_id)

    def _on_frames_dropped(self, channel: str, total: int) -> None:
        self._bus.emit(FramesDropped, channel=channel, total=total)


def check_caller_frame(frame: AudioFrame) -> None:
    """Raise ValueError for a caller frame the pipeline cannot take (its rate, or far too long)."""
    if not MIN_SAMPLE_RATE <= frame.sample_rate <= MAX_SAMPLE_RATE:
        raise ValueError(
            f"push_audio: a frame at {frame.sample_rate} Hz; caller audio must be "
            f"{MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz"
        )
    if frame.duration > MAX_FRAME_SECONDS:
        raise ValueError(
            f"push_audio: a {frame.duration:g} s frame; push at most {MAX_FRAME_SECONDS} s at once"
        )


def prerecorded_frame(audio: AudioFrame | str | Path, sample_rate: int) -> AudioFrame:
    """Prerecorded agent audio (a frame, or a WAV file's path) at the pipeline's ``sample_rate``."""
    frame = audio if isinstance(audio, AudioFrame) else read_wav(audio, sample_rate)[0]
    if frame.sample_rate != sample_rate:
        frame = AudioFrame.from_int16(
            resample_int16(frame.to_int16(), frame.sample_rate, sample_rate), sample_rate
        )
    return frame
