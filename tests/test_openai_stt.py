"""The OpenAI STT adapter with the real SDK against the loopback fake: the upload is a WAV of exactly the
utterance pushed, streamed deltas become interim transcripts, every finalize gets its final, failures surface;
plus the utterance buffer that trims the silence before the speech."""

from __future__ import annotations

import io
import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import numpy as np
import pytest

from pipeline.base.audio import AudioFrame
from providers.errors import ErrorCode, ProviderError, root_cause
from providers.openai.stt import OpenAIStt, OpenAISttOptions, OpenAISttStream
from providers.stt import Transcript
from providers.utterance import UtteranceBuffer
from tests.fakes.faults import Reject
from tests.fakes.openai import FakeOpenAI

pytestmark = [pytest.mark.anyio, pytest.mark.vendor_sdk, pytest.mark.filterwarnings("error::ResourceWarning")]

KEY = "sk-stt-test-0123456789"
RATE = 16000
FRAME = 320  # 20 ms


def tone(seconds: float, amplitude: float = 3000.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype("<i2")


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE), dtype="<i2")


def frames(samples: np.ndarray) -> list[AudioFrame]:
    return [AudioFrame.from_int16(samples[i : i + FRAME], RATE) for i in range(0, len(samples), FRAME)]


@asynccontextmanager
async def openai_stream(fake: FakeOpenAI, **options: Any) -> AsyncIterator[OpenAISttStream]:
    settings: dict[str, Any] = {"api_key": KEY, "base_url": fake.base_url, "max_retries": 0} | options
    stt = OpenAIStt(OpenAISttOptions(**settings))
    try:
        async with stt.stream(sample_rate=RATE) as stream:
            yield stream
    finally:
        await stt.aclose()


async def say(stream: OpenAISttStream, *parts: np.ndarray) -> None:
    for part in parts:
        for frame in frames(part):
            await stream.push_audio(frame)
    await stream.finalize()


async def until_finals(stream: OpenAISttStream, count: int) -> list[Transcript]:
    got: list[Transcript] = []
    with anyio.fail_after(5):
        async for transcript in stream.transcripts():
            got.append(transcript)
            if sum(1 for t in got if t.from_finalize) == count:
                break
    return got


def read_wav(data: bytes) -> tuple[int, int, int, np.ndarray]:
    with wave.open(io.BytesIO(data)) as reader:
        pcm = reader.readframes(reader.getnframes())
        return reader.getnchannels(), reader.getsampwidth(), reader.getframerate(), np.frombuffer(pcm, "<i2")


async def test_the_upload_is_a_wav_of_the_utterance_and_the_final_answers_finalize() -> None:
    speech = tone(0.6)
    async with (
        FakeOpenAI(api_key=KEY) as fake,
        openai_stream(fake, model="whisper-1", language="en", prompt="Parley, Paris") as stream,
    ):
        fake.transcriptions.push("Turn left here.")
        await say(stream, quiet(2.0), speech, quiet(0.2))
        got = await until_finals(stream, 1)
    assert got == [Transcript("Turn left here.", is_final=True, from_finalize=True)]
    (upload,) = fake.uploads
    channels, width, rate, samples = read_wav(upload)
    assert (channels, width, rate) == (1, 2, RATE)
    # 0.3 s of pre-roll, the speech, the 0.2 s tail: the 1.7 s of silence before is not uploaded
    expected = np.concatenate([quiet(0.3), speech, quiet(0.2)])
    assert np.array_equal(samples, expected)
    (request,) = fake.requests
    assert request.path == "/v1/audio/transcriptions"
    assert request.body["model"] == "whisper-1"
    assert (request.body["language"], request.body["prompt"]) == ("en", "Parley, Paris")
    assert request.body["file"]["filename"] == "audio.wav"
    assert request.body["file"]["content_type"] == "audio/wav"
    assert "stream" not in request.body


async def test_streamed_deltas_become_interim_transcripts() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_stream(fake, model="gpt-4o-transcribe") as stream:
        fake.transcriptions.push("Then stop right there.")
        await say(stream, tone(0.5), quiet(0.1))
        got = await until_finals(stream, 1)
    assert got == [
        Transcript("Then", is_final=False),
        Transcript("Then stop", is_final=False),
        Transcript("Then stop right", is_final=False),
        Transcript("Then stop right there.", is_final=False),
        Transcript("Then stop right there.", is_final=True, from_finalize=True),
    ]
    assert fake.requests[0].body["stream"] == "true"


async def test_every_finalize_gets_its_final_in_order_and_silence_costs_no_request() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_stream(fake, model="whisper-1") as stream:
        fake.transcriptions.push("First.", "Second.")
        await say(stream, quiet(0.5), tone(0.3), quiet(0.1))
        await say(stream, quiet(1.0))  # a finalize with nothing said
        await say(stream, tone(0.4), quiet(0.1))
        got = await until_finals(stream, 3)
    assert [t.text for t in got] == ["First.", "", "Second."]
    assert all(t.is_final and t.from_finalize for t in got)
    assert len(fake.requests) == 2
    assert [len(read_wav(upload)[3]) for upload in fake.uploads] == [
        round(0.7 * RATE),  # 0.3 pre-roll + 0.3 + 0.1
        round(0.5 * RATE),  # the buffer started over at the empty finalize: no pre-roll before this one
    ]


async def test_server_error_is_retried_then_answered() -> None:
    async with (
        FakeOpenAI(api_key=KEY) as fake,
        openai_stream(fake, model="whisper-1", max_retries=2) as stream,
    ):
        fake.faults.push(Reject(500, headers={"retry-after-ms": "1"}), times=2)
        fake.transcriptions.push("Got it.")
        await say(stream, tone(0.3))
        got = await until_finals(stream, 1)
    assert got[-1].text == "Got it."
    assert len(fake.requests) == 3


async def test_wrong_key_fails_the_stream_unrecoverably_without_leaking_it() -> None:
    wrong = "sk-wrong-stt-key-987654"
    async with FakeOpenAI(api_key=KEY) as fake:
        with pytest.raises(BaseException) as info:
            async with openai_stream(fake, api_key=wrong, model="whisper-1") as stream:
                await say(stream, tone(0.3))
                await until_finals(stream, 1)
    error = root_cause(info.value)
    assert isinstance(error, ProviderError)
    assert (error.code, error.recoverable, error.status) == (ErrorCode.AUTH_FAILED, False, 401)
    assert "OPENAI_API_KEY" in error.message and wrong not in str(error)


async def test_a_local_whisper_server_needs_no_key() -> None:
    async with FakeOpenAI(api_key=None) as fake:
        stt = OpenAIStt(OpenAISttOptions(base_url=fake.base_url, model="Systran/faster-whisper-small"))
        try:
            async with stt.stream(sample_rate=RATE) as stream:
                fake.transcriptions.push("Hello from whisper.")
                await say(stream, tone(0.3))
                got = await until_finals(stream, 1)
        finally:
            await stt.aclose()
    assert got == [Transcript("Hello from whisper.", is_final=True, from_finalize=True)]
    assert fake.requests[0].headers["authorization"] == "Bearer EMPTY"
    assert "stream" not in fake.requests[0].body


# --- the utterance buffer ----------------------------------------------------------------------------------


def buffered(buffer: UtteranceBuffer, *parts: np.ndarray) -> np.ndarray:
    for part in parts:
        for frame in frames(part):
            buffer.push(frame)
    return np.frombuffer(buffer.take(), "<i2")


def test_leading_silence_is_trimmed_to_the_preroll() -> None:
    speech = tone(0.5)
    got = buffered(UtteranceBuffer(preroll=0.2), quiet(3.0), speech, quiet(0.3))
    assert np.array_equal(got, np.concatenate([quiet(0.2), speech, quiet(0.3)]))


def test_a_noise_long_before_the_utterance_is_left_out_but_short_pauses_are_kept() -> None:
    click, first, second = tone(0.04, 20000), tone(0.4), tone(0.3)
    got = buffered(UtteranceBuffer(preroll=0.0, max_gap=1.0), click, quiet(2.0), first, quiet(0.5), second)
    assert np.array_equal(got, np.concatenate([first, quiet(0.5), second]))


def test_nothing_loud_gives_an_empty_upload_and_the_buffer_starts_over() -> None:
    buffer = UtteranceBuffer()
    assert buffered(buffer, tone(1.0, amplitude=20.0)).size == 0  # about -64 dBFS: below the gate
    assert buffer.seconds == 0.0
    assert buffered(buffer, tone(0.2)).size == round(0.2 * RATE)


def test_the_buffer_is_bounded_and_the_gate_can_be_disabled() -> None:
    buffer = UtteranceBuffer(max_seconds=2.0, gate_dbfs=None)
    got = buffered(buffer, tone(1.0), quiet(3.0))
    assert np.array_equal(got, quiet(2.0))  # the most recent 2 s, silence included
