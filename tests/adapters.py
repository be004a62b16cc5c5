"""For the vendor-adapter tests: streams driven the way the pipeline drives them (speech-to-text fed 20 ms frames
and read until a transcript, text-to-speech fed a reply's sentences and read to the end or a barge-in), and a
port where nothing listens."""

from __future__ import annotations

import socket
from collections.abc import Callable

import anyio
import pytest

from pipeline.base.audio import AudioFrame
from providers.errors import ProviderError, root_cause
from providers.stt import SttStream, Transcript
from providers.tts import TextToSpeech, TtsAudio, TtsOutput

FRAME = 0.02


class Feed:
    """Pushes PCM to a stream as 20 ms frames with running media timestamps."""

    def __init__(self, stream: SttStream, rate: int = 16000) -> None:
        self.stream = stream
        self.rate = rate
        self.time = 0.0

    async def send(self, pcm: bytes) -> None:
        step = round(FRAME * self.rate) * 2
        for start in range(0, len(pcm), step):
            frame = AudioFrame(pcm[start : start + step], self.rate, self.time)
            await self.stream.push_audio(frame)
            self.time = frame.end_time


async def read_until(stream: SttStream, done: Callable[[Transcript], bool]) -> list[Transcript]:
    seen: list[Transcript] = []
    with anyio.fail_after(5):
        async for transcript in stream.transcripts():
            seen.append(transcript)
            if done(transcript):
                return seen
    raise AssertionError(f"stream ended before the expected transcript: {seen}")


def is_final(transcript: Transcript) -> bool:
    return transcript.is_final


async def speak(
    tts: TextToSpeech, sentences: list[str], *, stop_after_audio: int | None = None
) -> list[TtsOutput]:
    """One reply the way the pipeline drives it: a writer task pushes, the caller reads; with
    ``stop_after_audio`` the reply is abandoned (barge-in) after that many audio chunks."""
    outputs: list[TtsOutput] = []
    with anyio.fail_after(5):
        async with tts.stream() as stream, anyio.create_task_group() as group:

            async def write() -> None:
                for sentence in sentences:
                    await stream.push_text(sentence)
                await stream.end_input()

            group.start_soon(write)
            async for output in stream.outputs():
                outputs.append(output)
                audio_count = sum(isinstance(o, TtsAudio) for o in outputs)
                if stop_after_audio is not None and audio_count >= stop_after_audio:
                    group.cancel_scope.cancel()
                    break
    return outputs


async def failure_of(tts: TextToSpeech, sentences: list[str], secret: str) -> ProviderError:
    """The ProviderError a reply fails with (the pipeline reads it out of the task group the same way); its
    text must not hold `secret`."""
    try:
        await speak(tts, sentences)
    except Exception as exc:
        error = root_cause(exc)
    else:
        pytest.fail("the reply did not fail")
    assert isinstance(error, ProviderError)
    assert secret not in str(error)
    return error


def pcm_of(outputs: list[TtsOutput]) -> bytes:
    return b"".join(o.pcm for o in outputs if isinstance(o, TtsAudio))


def unused_port() -> int:
    """A loopback port nobody listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
