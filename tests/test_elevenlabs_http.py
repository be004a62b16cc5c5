"""The ``elevenlabs-http`` adapter (the real elevenlabs SDK) against the ElevenLabs fake."""

from __future__ import annotations

import json
from contextlib import aclosing
from typing import Any

import anyio
import pytest

from providers.elevenlabs.http_tts import SPEC, ElevenLabsHttpTts
from providers.elevenlabs.options import ElevenLabsHttpOptions
from providers.errors import ErrorCode
from providers.registry import registry
from providers.tts import TtsAudio, TtsSegmentEnd
from tests.adapters import failure_of, pcm_of, speak, unused_port
from tests.fakes.audio import synthesize
from tests.fakes.elevenlabs import FakeElevenLabs
from tests.fakes.faults import DropAfter, Malformed, MalformedKind, Reject, SlowFirstByte

pytestmark = [pytest.mark.anyio, pytest.mark.vendor_sdk, pytest.mark.filterwarnings("error::ResourceWarning")]

KEY = "xi-http-test-key-0123456789"
VOICE = "voice123"


def provider(fake: FakeElevenLabs, **options: Any) -> aclosing[ElevenLabsHttpTts]:
    settings: dict[str, Any] = {"api_key": KEY, "voice_id": VOICE, "base_url": fake.base_url, "timeout": 2.0}
    return aclosing(ElevenLabsHttpTts(ElevenLabsHttpOptions(**(settings | options))))


def expected_pcm(text: str, rate: int = 16000) -> bytes:
    return b"".join(chunk.pcm for chunk in synthesize(text, rate, 60, 5))


async def test_each_sentence_is_one_streaming_request_with_exact_audio() -> None:
    sentences = ["Hello there.", "How are you?"]
    async with (
        FakeElevenLabs(api_key=KEY) as fake,
        provider(
            fake, voice_settings={"stability": 0.5, "similarity_boost": 0.75}, output_format="pcm_24000"
        ) as tts,
    ):
        assert tts.sample_rate == 24000
        outputs = await speak(tts, sentences)
    assert pcm_of(outputs) == expected_pcm(sentences[0], 24000) + expected_pcm(sentences[1], 24000)
    assert [o.text for o in outputs if isinstance(o, TtsSegmentEnd)] == sentences
    assert outputs.index(TtsSegmentEnd(sentences[0])) < outputs.index(TtsSegmentEnd(sentences[1]))
    assert [r.body["text"] for r in fake.requests] == sentences
    first = fake.requests[0]
    assert (first.method, first.path) == ("POST", f"/v1/text-to-speech/{VOICE}/stream")
    assert first.query["output_format"] == "pcm_24000" and first.headers["xi-api-key"] == KEY
    assert first.body["model_id"] == "eleven_flash_v2_5"
    assert first.body["voice_settings"] == {"stability": 0.5, "similarity_boost": 0.75}


async def test_with_alignment_character_times_are_relative_to_each_chunk() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake, provider(fake, alignment=True) as tts:
        outputs = await speak(tts, ["Hello there, friend."])
    assert fake.requests[0].path == f"/v1/text-to-speech/{VOICE}/stream/with-timestamps"
    audio = [o for o in outputs if isinstance(o, TtsAudio)]
    assert pcm_of(outputs) == expected_pcm("Hello there, friend.")
    assert "".join(c for o in audio if o.alignment for c in o.alignment.chars) == "Hello there, friend."
    for chunk in audio:
        assert chunk.alignment is not None
        assert chunk.alignment.starts[0] == pytest.approx(0.0)
        assert chunk.alignment.ends[-1] == pytest.approx(len(chunk.pcm) / 2 / 16000)


async def test_leaving_early_closes_the_http_response() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake, provider(fake) as tts:
        fake.config.audio_pace = 0.05
        outputs = await speak(
            tts, ["A long sentence that the caller interrupts right away."], stop_after_audio=1
        )
        assert len(outputs) == 1
        with anyio.fail_after(2):
            while not fake.requests[0].disconnected:
                await anyio.sleep(0.005)


@pytest.mark.parametrize(
    ("reject", "code", "recoverable"),
    [
        (Reject(401), ErrorCode.AUTH_FAILED, False),
        (Reject(429), ErrorCode.RATE_LIMITED, True),
        (Reject(500), ErrorCode.SERVER_ERROR, True),
        (Reject(404), ErrorCode.BAD_REQUEST, False),
        (
            Reject(
                401,
                body=json.dumps(
                    {"detail": {"status": "quota_exceeded", "message": "Out of credits"}}
                ).encode(),
            ),
            ErrorCode.RATE_LIMITED,
            False,
        ),
    ],
)
async def test_http_errors_map_to_provider_errors(reject: Reject, code: ErrorCode, recoverable: bool) -> None:
    async with FakeElevenLabs(api_key=KEY) as fake, provider(fake) as tts:
        fake.faults.push(reject)
        error = await failure_of(tts, ["Hello."], KEY)
        assert (error.code, error.recoverable, error.status) == (code, recoverable, reject.status)
        assert pcm_of(await speak(tts, ["Fine."])) == expected_pcm("Fine.")


async def test_a_wrong_key_names_the_env_var_and_never_the_key() -> None:
    wrong = "xi-wrong-key-abcdefghijkl"
    async with FakeElevenLabs(api_key=KEY) as fake, provider(fake, api_key=wrong) as tts:
        error = await failure_of(tts, ["Hello."], KEY)
    assert (error.code, error.recoverable) == (ErrorCode.AUTH_FAILED, False)
    assert "ELEVENLABS_API_KEY" in error.message and "Invalid API key" in error.message
    assert wrong not in str(error)


async def test_a_dropped_body_is_a_recoverable_connection_loss() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake, provider(fake) as tts:
        fake.faults.push(DropAfter(1))
        error = await failure_of(tts, ["Hello there, this is cut."], KEY)
        assert (error.code, error.recoverable) == (ErrorCode.CONNECTION_LOST, True)
        assert pcm_of(await speak(tts, ["Again."])) == expected_pcm("Again.")


async def test_slow_first_byte_times_out() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake, provider(fake, timeout=0.1) as tts:
        fake.faults.push(SlowFirstByte(0.3))
        error = await failure_of(tts, ["Hello."], KEY)
    assert (error.code, error.recoverable) == (ErrorCode.TIMEOUT, True)


async def test_unknown_lines_in_the_timestamp_stream_are_skipped() -> None:
    async with FakeElevenLabs(api_key=KEY) as fake, provider(fake, alignment=True) as tts:
        fake.faults.push(Malformed(MalformedKind.UNKNOWN_TYPE, after=1))
        outputs = await speak(tts, ["Hello there."])
    assert pcm_of(outputs) == expected_pcm("Hello there.")


async def test_connection_refused_is_unavailable() -> None:
    tts = ElevenLabsHttpTts(ElevenLabsHttpOptions(api_key=KEY, base_url=f"http://127.0.0.1:{unused_port()}"))
    try:
        error = await failure_of(tts, ["Hello."], KEY)
    finally:
        await tts.aclose()
    assert (error.code, error.recoverable) == (ErrorCode.UNAVAILABLE, True)


async def test_the_spec_reads_the_key_from_the_environment() -> None:
    spec = registry.get("tts", "elevenlabs-http")
    assert spec is SPEC
    options = spec.options.model_validate(
        {"alignment": True}, context={"environ": {"ELEVENLABS_API_KEY": KEY}}
    )
    tts = spec.build(options)
    assert (tts.provider, tts.model, tts.sample_rate) == ("elevenlabs-http", "eleven_flash_v2_5", 16000)
    assert KEY not in repr(options)
    assert spec.options.model_json_schema()["properties"]["api_key"]["env"] == "ELEVENLABS_API_KEY"
