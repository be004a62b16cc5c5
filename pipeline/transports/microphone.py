"""``run --mic``: talk to the agent through the default microphone and speaker (sounddevice + PortAudio).

The optional dependency: ``uv sync --extra mic`` (and PortAudio from the system: ``apt install libportaudio2``).
"""

from __future__ import annotations

import queue
from typing import Any

import anyio

from pipeline.base.audio import AudioFrame
from pipeline.transports.transport import CallEnd, CallLine

FRAME_MS = 20


class MicrophoneUnavailable(RuntimeError):
    pass


def _sounddevice() -> Any:
    try:
        import sounddevice
    except ImportError:
        raise MicrophoneUnavailable(
            "--mic needs the sounddevice package: run `uv sync --extra mic` (and install PortAudio, "
            "e.g. `apt install libportaudio2`)"
        ) from None
    except OSError as exc:  # sounddevice is there, the PortAudio library is not
        raise MicrophoneUnavailable(
            f"--mic needs PortAudio ({exc}); e.g. `apt install libportaudio2`"
        ) from None
    return sounddevice


class MicrophoneCaller:
    """Captures 20 ms frames from the microphone and plays the agent's frames on the speaker."""

    def __init__(self, sounddevice: Any, sample_rate: int) -> None:
        self._sd = sounddevice
        self.sample_rate = sample_rate
        self._captured: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self._playback: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self._pending = b""

    @classmethod
    def open(cls, sample_rate: int) -> MicrophoneCaller:
        sd = _sounddevice()
        try:
            sd.check_input_settings(samplerate=sample_rate, channels=1, dtype="int16")
            sd.check_output_settings(samplerate=sample_rate, channels=1, dtype="int16")
        except Exception as exc:
            raise MicrophoneUnavailable(f"no usable microphone/speaker at {sample_rate} Hz: {exc}") from None
        return cls(sd, sample_rate)

    async def send(self, frame: AudioFrame) -> None:
        self._playback.put(frame.pcm)

    def clear(self, speech_id: str) -> None:
        """Barge-in: what the speaker has not played yet is dropped."""
        while True:
            try:
                self._playback.get_nowait()
            except queue.Empty:
                break

    async def run(self, line: CallLine) -> CallEnd:
        blocksize = self.sample_rate * FRAME_MS // 1000
        stream = self._sd.RawStream(
            samplerate=self.sample_rate,
            channels=1,
            dtype="int16",
            blocksize=blocksize,
            callback=self._callback,
        )
        print("listening on the microphone — speak; Ctrl+C to stop")
        media_time = 0.0
        with stream:
            while line.running:
                try:
                    pcm = self._captured.get_nowait()
                except queue.Empty:
                    await anyio.sleep(FRAME_MS / 2000)
                    continue
                frame = AudioFrame(pcm, self.sample_rate, media_time)
                media_time += frame.duration
                line.push_audio(frame)
        return CallEnd.completed()

    def _callback(self, indata: Any, outdata: Any, frames: int, time: Any, status: Any) -> None:
        self._captured.put(bytes(indata))
        wanted = len(outdata)
        while len(self._pending) < wanted:
            try:
                self._pending += self._playback.get_nowait()
            except queue.Empty:
                break
        chunk, self._pending = self._pending[:wanted], self._pending[wanted:]
        outdata[:] = chunk + bytes(wanted - len(chunk))
