"""The real adapters (OpenAI SDK, Deepgram SDK, websockets for ElevenLabs) against the loopback fakes through a
fault-injecting TCP proxy: each documented behaviour under latency, stalls, resets, truncation and garbage."""

from __future__ import annotations

from contextlib import aclosing

import anyio
import pytest

from providers.deepgram.stt import DeepgramOptions, DeepgramStt
from providers.elevenlabs.options import ElevenLabsWebsocketOptions
from providers.elevenlabs.websocket_tts import ElevenLabsTts
from providers.errors import ErrorCode, ProviderError, root_cause
from providers.fallback import FallbackLlm
from providers.llm import ChatMessage, LlmRequest, Role, TextDelta
from providers.openai.llm import OpenAILlm, OpenAILlmOptions
from providers.tts import TtsAudio
from tests.adapters import Feed, is_final, pcm_of, read_until, speak
from tests.fakes.audio import synthesize, utterance
from tests.fakes.deepgram import FakeDeepgram
from tests.fakes.elevenlabs import FakeElevenLabs
from tests.fakes.openai import FakeOpenAI
from tests.faults.proxy import FaultProxy, Toxic

pytestmark = [pytest.mark.anyio, pytest.mark.vendor_sdk, pytest.mark.timeout(60)]

ASK = LlmRequest(messages=(ChatMessage(Role.USER, "Hello?"),))
LONG = " ".join(["word"] * 200)
OA_KEY = "sk-faults-0123456789"
EL_KEY = "xi-faults-0123456789"
DG_KEY = "dg-faults-0123456789"


def openai(url: str, **options: object) -> OpenAILlm:
    return OpenAILlm(OpenAILlmOptions(api_key=OA_KEY, base_url=url, max_retries=0, **options))  # type: ignore[arg-type]


async def answer(llm: OpenAILlm | FallbackLlm) -> tuple[str, ProviderError | None]:
    text = ""
    try:
        with anyio.fail_after(20):
            async with aclosing(llm.stream(ASK)) as chunks:
                async for chunk in chunks:
                    if isinstance(chunk, TextDelta):
                        text += chunk.text
    except ProviderError as error:
        return text, error
    return text, None


# --- OpenAI chat completions ------------------------------------------------------------------------------


async def test_openai_latency_costs_time_not_the_answer() -> None:
    async with FakeOpenAI(api_key=OA_KEY) as fake, FaultProxy(fake.base_url, Toxic(latency=0.02)) as proxy:
        fake.replies.push(LONG)
        llm = openai(proxy.url())
        try:
            text, error = await answer(llm)
        finally:
            await llm.aclose()
    assert error is None and text.split() == LONG.split()


@pytest.mark.parametrize(
    "toxic",
    [Toxic(after_bytes=900, reset=True), Toxic(after_bytes=900, truncate=True)],
    ids=["reset", "truncated"],
)
async def test_openai_dropped_mid_stream_is_a_recoverable_connection_lost(toxic: Toxic) -> None:
    async with FakeOpenAI(api_key=OA_KEY) as fake, FaultProxy(fake.base_url, toxic) as proxy:
        fake.replies.push(LONG)
        llm = openai(proxy.url())
        try:
            text, error = await answer(llm)
        finally:
            await llm.aclose()
    assert error is not None and error.recoverable
    assert error.code in (ErrorCode.CONNECTION_LOST, ErrorCode.BAD_RESPONSE)
    assert text.split() != LONG.split()  # part of the answer came; it was not reported as complete


async def test_openai_garbage_mid_stream_is_a_provider_error() -> None:
    toxic = Toxic(after_bytes=900, garbage=b"\x00\xff garbage {{{\r\n\r\n")
    async with FakeOpenAI(api_key=OA_KEY) as fake, FaultProxy(fake.base_url, toxic) as proxy:
        fake.replies.push(LONG)
        llm = openai(proxy.url())
        try:
            _, error = await answer(llm)
        finally:
            await llm.aclose()
    assert error is not None  # never an exception of another kind, never a silent success


async def test_openai_stall_before_the_first_token_times_out() -> None:
    async with FakeOpenAI(api_key=OA_KEY) as fake, FaultProxy(fake.base_url, Toxic(stall=True)) as proxy:
        fake.replies.push(LONG)
        llm = openai(proxy.url(), first_token_timeout=0.5)
        try:
            _, error = await answer(llm)
        finally:
            await llm.aclose()
    assert error is not None and error.code is ErrorCode.TIMEOUT


@pytest.mark.parametrize(
    "toxic", [Toxic(reset=True), Toxic(truncate=True), Toxic(stall=True)], ids=["reset", "truncated", "stall"]
)
async def test_the_fallback_answers_when_the_first_llm_fails_before_its_first_token(toxic: Toxic) -> None:
    async with (
        FakeOpenAI(api_key=OA_KEY) as bad,
        FakeOpenAI(api_key=None) as good,
        FaultProxy(bad.base_url, toxic) as proxy,
    ):
        bad.replies.push("never heard")
        good.replies.push("Hello from the fallback.")
        first, second = openai(proxy.url(), first_token_timeout=0.5), openai(good.base_url)
        try:
            text, error = await answer(FallbackLlm([first, second]))
        finally:
            await first.aclose()
            await second.aclose()
    assert error is None and text == "Hello from the fallback."


# --- ElevenLabs multi-context websocket -------------------------------------------------------------------


def el_tts(ws_url: str, base_url: str) -> ElevenLabsTts:
    return ElevenLabsTts(
        ElevenLabsWebsocketOptions(
            api_key=EL_KEY, voice_id="v", base_url=base_url, ws_url=ws_url, response_timeout=2.0
        )
    )


def spoken(sentences: list[str]) -> bytes:
    return b"".join(chunk.pcm for s in sentences for chunk in synthesize(s + " ", 16000, 60, 5))


async def test_elevenlabs_socket_reset_before_audio_replays_on_a_fresh_socket() -> None:
    sentences = ["Hello there.", "How are you?"]
    async with (
        FakeElevenLabs(api_key=EL_KEY) as fake,
        FaultProxy(fake.ws_url, Toxic(after_bytes=400, reset=True)) as proxy,
    ):
        tts = el_tts(proxy.url(), fake.base_url)
        try:
            outputs = await speak(tts, sentences)
        finally:
            await tts.aclose()
    assert proxy.connections == 2
    assert pcm_of(outputs) == spoken(sentences)


async def test_elevenlabs_latency_and_garbage_free_path() -> None:
    sentences = ["Hello there."]
    async with FakeElevenLabs(api_key=EL_KEY) as fake, FaultProxy(fake.ws_url, Toxic(latency=0.01)) as proxy:
        tts = el_tts(proxy.url(), fake.base_url)
        try:
            outputs = await speak(tts, sentences)
        finally:
            await tts.aclose()
    assert any(isinstance(o, TtsAudio) for o in outputs)
    assert pcm_of(outputs) == spoken(sentences)


async def test_elevenlabs_garbage_before_audio_replays_on_a_fresh_socket() -> None:
    sentences = ["Hello there.", "How are you?"]
    toxic = Toxic(after_bytes=400, garbage=b"\x81\x05hello\x00\xff\xfe")  # breaks the websocket framing
    async with FakeElevenLabs(api_key=EL_KEY) as fake, FaultProxy(fake.ws_url, toxic) as proxy:
        tts = el_tts(proxy.url(), fake.base_url)
        try:
            outputs = await speak(tts, sentences)
        finally:
            await tts.aclose()
    assert proxy.connections == 2
    assert pcm_of(outputs) == spoken(sentences)


@pytest.mark.parametrize(
    "fault",
    [Toxic(after_bytes=20_000, garbage=b"\x00\xff\xfe\xfd"), Toxic(after_bytes=20_000, reset=True)],
    ids=["garbage", "reset"],
)
async def test_elevenlabs_socket_broken_after_audio_is_a_recoverable_error(fault: Toxic) -> None:
    """Once audio was heard a replay would repeat words: the reply fails, recoverably (the next one reconnects)."""
    sentences = ["Hello there, this is a rather long first sentence.", "And a second one to follow it."]
    async with FakeElevenLabs(api_key=EL_KEY) as fake, FaultProxy(fake.ws_url, fault) as proxy:
        tts = el_tts(proxy.url(), fake.base_url)
        try:
            with pytest.raises(BaseException) as info:
                await speak(tts, sentences)
            again = await speak(tts, ["Still there?"])  # the next reply works on a fresh socket
        finally:
            await tts.aclose()
    error = root_cause(info.value)
    assert isinstance(error, ProviderError) and error.recoverable
    assert pcm_of(again) == spoken(["Still there?"])


# --- Deepgram live transcription --------------------------------------------------------------------------


async def test_deepgram_reset_mid_turn_reconnects_and_the_turn_is_transcribed() -> None:
    sentence = "Hello there, friend."
    async with (
        FakeDeepgram(api_key=DG_KEY, default_transcript=sentence) as fake,
        FaultProxy(fake.url, Toxic(after_bytes=300, reset=True)) as proxy,
    ):
        stt = DeepgramStt(DeepgramOptions(api_key=DG_KEY, ws_url=proxy.url(), reconnect_backoff=0.01))
        async with stt.stream(sample_rate=16000) as stream:
            await Feed(stream).send(utterance(0.5, 1.0, 0.5))
            await stream.finalize()
            seen = await read_until(stream, is_final)
    assert proxy.connections >= 2
    assert seen[-1].text == sentence
