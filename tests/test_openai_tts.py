"""The OpenAI TTS adapter with the real SDK against the loopback fake: exact audio, odd network splits,
failures, and closing on barge-in."""

from __future__ import annotations

from contextlib import aclosing
from typing import Any

import anyio
import pytest

from pipeline.base.audio import AudioFrame, StreamResampler
from providers.errors import ErrorCode, ProviderError
from providers.openai.tts import OpenAITts, OpenAITtsOptions
from providers.tts import TtsAudio, TtsOutput, TtsSegmentEnd
from tests.adapters import pcm_of
from tests.fakes.audio import tone
from tests.fakes.faults import DropAfter, Reject, SlowFirstByte
from tests.fakes.openai import FakeOpenAI

pytestmark = [pytest.mark.anyio, pytest.mark.vendor_sdk, pytest.mark.filterwarnings("error::ResourceWarning")]

KEY = "sk-tts-test-0123456789"
MS_PER_CHAR = 60  # the fake's default


def openai_tts(fake: FakeOpenAI, **options: Any) -> aclosing[OpenAITts]:
    settings: dict[str, Any] = {"api_key": KEY, "base_url": fake.base_url, "max_retries": 0} | options
    return aclosing(OpenAITts(OpenAITtsOptions(**settings)))


def expected_audio(text: str) -> bytes:
    return tone(24000, 24000 * MS_PER_CHAR * len(text) // 1000)


async def speak(tts: OpenAITts, *texts: str) -> list[TtsOutput]:
    outputs: list[TtsOutput] = []
    with anyio.fail_after(5):
        async with tts.stream() as stream:
            for text in texts:
                await stream.push_text(text)
            await stream.end_input()
            async for output in stream.outputs():
                outputs.append(output)
    return outputs


async def test_each_sentence_streams_its_exact_24khz_pcm() -> None:
    async with (
        FakeOpenAI(api_key=KEY) as fake,
        openai_tts(fake, voice="coral", speed=1.25, instructions="Warm and calm.") as tts,
    ):
        outputs = await speak(tts, "Hello there.", "How are you?")
    ends = [output for output in outputs if isinstance(output, TtsSegmentEnd)]
    assert ends == [TtsSegmentEnd("Hello there."), TtsSegmentEnd("How are you?")]
    first_end = outputs.index(ends[0])
    assert pcm_of(outputs[:first_end]) == expected_audio("Hello there.")
    assert pcm_of(outputs[first_end:]) == expected_audio("How are you?")
    assert sum(1 for o in outputs[:first_end] if isinstance(o, TtsAudio)) > 1, "streamed in several chunks"
    assert [request.body for request in fake.requests] == [
        {
            "model": "gpt-4o-mini-tts",
            "voice": "coral",
            "input": text,
            "response_format": "pcm",
            "speed": 1.25,
            "instructions": "Warm and calm.",
        }
        for text in ("Hello there.", "How are you?")
    ]


async def test_audio_is_resample_ready() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_tts(fake) as tts:
        outputs = await speak(tts, "One second of it.")
    assert tts.sample_rate == 24000
    pcm = pcm_of(outputs)
    resampler = StreamResampler(tts.sample_rate, 16000)
    out = resampler.process(AudioFrame(pcm, tts.sample_rate)).pcm + resampler.flush().pcm
    assert len(out) // 2 == pytest.approx(len(pcm) // 2 * 2 / 3, abs=2)


async def test_odd_network_splits_still_give_whole_samples() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_tts(fake) as tts:
        fake.config.speech_chunk_bytes = 4801
        outputs = await speak(tts, "An odd split of samples.")
    chunks = [output.pcm for output in outputs if isinstance(output, TtsAudio)]
    assert len(chunks) > 2 and all(len(chunk) % 2 == 0 for chunk in chunks)
    assert b"".join(chunks) == expected_audio("An odd split of samples.")


async def test_wrong_key_is_unrecoverable_and_not_leaked() -> None:
    wrong = "sk-wrong-tts-key-123456"
    async with FakeOpenAI(api_key=KEY) as fake, openai_tts(fake, api_key=wrong) as tts:
        with pytest.raises(ProviderError) as info:
            await speak(tts, "Hello.")
    error = info.value
    assert (error.code, error.recoverable, error.status) == (ErrorCode.AUTH_FAILED, False, 401)
    assert "OPENAI_API_KEY" in error.message and wrong not in str(error)


async def test_server_error_after_retries() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_tts(fake, max_retries=1) as tts:
        fake.faults.push(Reject(503, headers={"retry-after-ms": "1"}), times=2)
        with pytest.raises(ProviderError) as info:
            await speak(tts, "Hello.")
    assert (info.value.code, info.value.status) == (ErrorCode.SERVER_ERROR, 503)
    assert len(fake.requests) == 2


async def test_dropped_audio_stream_is_a_lost_connection_after_the_first_audio() -> None:
    got: list[TtsOutput] = []
    async with FakeOpenAI(api_key=KEY) as fake, openai_tts(fake, max_retries=2) as tts:
        fake.faults.push(DropAfter(2))
        with pytest.raises(ProviderError) as info, anyio.fail_after(5):
            async with tts.stream() as stream:
                await stream.push_text("A sentence long enough for several chunks.")
                await stream.end_input()
                async for output in stream.outputs():
                    got.append(output)
    assert pcm_of(got) == expected_audio("A sentence long enough for several chunks.")[: 2 * 2400 * 2]
    assert (info.value.code, info.value.recoverable) == (ErrorCode.CONNECTION_LOST, True)
    assert len(fake.requests) == 1


async def test_slow_first_byte_beyond_first_byte_timeout() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_tts(fake, first_byte_timeout=0.2) as tts:
        fake.faults.push(SlowFirstByte(2.0))
        with pytest.raises(ProviderError) as info:
            await speak(tts, "Hello.")
    assert info.value.code is ErrorCode.TIMEOUT


async def test_closing_the_stream_on_barge_in_closes_the_response() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_tts(fake) as tts:
        fake.config.speech_audio_pace = 1.0  # real time: 60 ms of audio per character
        with anyio.fail_after(5):
            async with tts.stream() as stream:
                await stream.push_text("A long sentence that would take a few seconds to speak out loud.")
                with anyio.CancelScope() as reply:  # the reply task, cancelled by the barge-in
                    async for output in stream.outputs():
                        assert isinstance(output, TtsAudio)
                        reply.cancel()
            while not fake.requests[0].disconnected:
                await anyio.sleep(0.01)
