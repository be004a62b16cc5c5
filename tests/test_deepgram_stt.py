"""The Deepgram (Nova, /v1/listen) adapter with the real deepgram-sdk against the loopback fake."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from providers.deepgram.stt import DeepgramOptions, DeepgramStt
from providers.errors import ErrorCode, ProviderError
from providers.registry import registry
from providers.stt import SpeechToText, Transcript
from tests.adapters import Feed, is_final, read_until, unused_port
from tests.fakes.audio import silence, tone_seconds, utterance
from tests.fakes.deepgram import FakeDeepgram
from tests.fakes.faults import DropAfter, ErrorFrame, Malformed, MalformedKind, Reject, SlowFirstByte

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.vendor_sdk,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # the SDK imports websockets.legacy
    pytest.mark.filterwarnings("error::ResourceWarning"),
    pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning"),
]

KEY = "dg-secret-key-4f9a1c"
RATE = 16000
SENTENCE = "Hello there, friend."


def stt_for(fake: FakeDeepgram, **options: Any) -> DeepgramStt:
    options.setdefault("reconnect_backoff", 0.01)
    return DeepgramStt(DeepgramOptions(api_key=KEY, ws_url=fake.url, **options))


def from_finalize(transcript: Transcript) -> bool:
    return transcript.from_finalize


def words_of(transcript: Transcript) -> list[tuple[str, float, float]]:
    return [(w.word, round(w.start, 3), round(w.end, 3)) for w in transcript.words]


def assert_no_key(*texts: str) -> None:
    for text in texts:
        assert KEY not in text


async def test_registry_builds_the_adapter_from_yaml_options() -> None:
    spec = registry.get("stt", "deepgram")
    options = spec.options.model_validate({"model": "nova-2"}, context={"environ": {"DEEPGRAM_API_KEY": KEY}})
    stt = spec.build(options)
    assert isinstance(stt, SpeechToText)
    assert (stt.provider, stt.model) == ("deepgram", "nova-2")
    assert KEY not in repr(options) and KEY not in str(options.model_dump(mode="json"))
    with pytest.raises(ValueError, match=r"DEEPGRAM_API_KEY|api_key"):
        spec.options.model_validate({}, context={"environ": {}})
    with pytest.raises(ValueError, match="extra"):
        spec.options.model_validate({"api_key": KEY, "modle": "nova-3"})


async def test_interim_and_final_transcripts_with_word_timings() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.transcripts.push(SENTENCE)
        async with stt_for(fake, keyterms=["Parley", "voice agent"]).stream(sample_rate=RATE) as stream:
            await Feed(stream).send(utterance(0.5, 1.0, 0.5))
            seen = await read_until(stream, is_final)

    assert [(t.text, t.is_final) for t in seen] == [
        ("Hello", False),
        (SENTENCE, False),
        (SENTENCE, True),
    ]
    final = seen[-1]
    assert words_of(final) == [("Hello", 0.5, 0.833), ("there,", 0.833, 1.167), ("friend.", 1.167, 1.5)]
    assert final.confidence == pytest.approx(0.99)
    assert not final.from_finalize
    (request,) = fake.requests
    assert request.headers["authorization"] == f"Token {KEY}"
    assert request.query["model"] == "nova-3"
    assert request.query["encoding"] == "linear16"
    assert request.query["sample_rate"] == "16000"
    assert request.query["interim_results"] == "true"
    assert request.query["endpointing"] == "300"
    assert request.query_lists["keyterm"] == ["Parley", "voice agent"]


async def test_finalize_is_sent_and_its_final_is_marked() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.transcripts.push("First one.", "Second one.")
        async with stt_for(fake, endpointing_ms=5000).stream(sample_rate=RATE) as stream:
            feed = Feed(stream)
            answers: list[Transcript] = []
            for _ in range(2):
                await feed.send(utterance(0.2, 0.6, 0.1))
                await stream.finalize()
                seen = await read_until(stream, from_finalize)
                assert [t for t in seen if t.from_finalize] == [seen[-1]]
                answers.append(seen[-1])

    assert [(a.text, a.is_final) for a in answers] == [("First one.", True), ("Second one.", True)]
    assert words_of(answers[1])[0] == ("Second", 1.1, 1.4)  # media time, not the socket's clock
    assert len(fake.requests[0].messages_with(type="Finalize")) == 2


async def test_finalize_answered_by_several_finals_marks_only_the_last() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.config.finalize_split = 3
        fake.transcripts.push("one two three four five six")
        options = {
            "endpointing_ms": 5000,
            "interim_results": False,
            "smart_format": False,
            "punctuate": False,
        }
        async with stt_for(fake, **options).stream(sample_rate=RATE) as stream:
            await Feed(stream).send(utterance(0.2, 1.2, 0.1))
            await stream.finalize()
            seen = await read_until(stream, from_finalize)

    assert [(t.text, t.is_final, t.from_finalize) for t in seen] == [
        ("one two", True, False),
        ("three four", True, False),
        ("five six", True, True),
    ]


async def test_unanswered_finalize_gets_an_empty_marked_final() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.config.answer_idle_finalize = (
            False  # Deepgram does not promise an answer when nothing is buffered
        )
        async with stt_for(fake, finalize_timeout=0.1).stream(sample_rate=RATE) as stream:
            await Feed(stream).send(silence(RATE, 0.3))
            await stream.finalize()
            started = anyio.current_time()
            (answer,) = await read_until(stream, from_finalize)
            waited = anyio.current_time() - started

    assert (answer.text, answer.is_final, answer.from_finalize) == ("", True, True)
    assert waited >= 0.1  # answered by the adapter itself after its finalize timeout


async def test_keepalive_during_silence_keeps_the_socket() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.config.idle_timeout = 0.15
        async with stt_for(fake, keepalive_interval=0.05).stream(sample_rate=RATE) as stream:
            await anyio.sleep(0.3)  # no audio at all, twice the server's idle timeout
            fake.transcripts.push(SENTENCE)
            await Feed(stream).send(utterance(0.1, 0.6, 0.1))
            await stream.finalize()
            seen = await read_until(stream, from_finalize)

    assert seen[-1].text == SENTENCE
    assert len(fake.requests) == 1, "the socket was never dropped for idleness"
    assert len(fake.requests[0].messages_with(type="KeepAlive")) >= 3


async def test_wrong_key_is_an_unrecoverable_auth_error_without_the_key() -> None:
    async with FakeDeepgram(api_key="another-key") as fake:
        with pytest.raises(ProviderError) as info:
            async with stt_for(fake).stream(sample_rate=RATE):
                pass
    error = info.value
    assert (error.code, error.recoverable, error.status) == (ErrorCode.AUTH_FAILED, False, 401)
    assert "Deepgram" in error.message and "DEEPGRAM_API_KEY" in error.message
    assert len(fake.requests) == 1, "a rejected key is not retried"
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert_no_key(str(error), repr(error), error.message)


async def test_rate_limited_handshake_honours_retry_after_then_connects() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.faults.push(Reject(429, headers={"retry-after": "0.2"}))
        fake.transcripts.push(SENTENCE)
        started = anyio.current_time()
        async with stt_for(fake).stream(sample_rate=RATE) as stream:
            connected = anyio.current_time() - started
            await Feed(stream).send(utterance(0.1, 0.6, 0.1))
            await stream.finalize()
            seen = await read_until(stream, from_finalize)

    assert connected >= 0.2, "Retry-After was not honoured (backoff alone is 0.01 s)"
    assert len(fake.requests) == 2
    assert seen[-1].text == SENTENCE


async def test_server_errors_are_retried_then_reported_recoverable() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.faults.push(Reject(500), times=3)
        with pytest.raises(ProviderError) as info:
            async with stt_for(fake, reconnect_attempts=2).stream(sample_rate=RATE):
                pass
    error = info.value
    assert (error.code, error.recoverable, error.status) == (ErrorCode.SERVER_ERROR, True, 500)
    assert "3 attempts" in error.message
    assert len(fake.requests) == 3
    assert_no_key(str(error), error.message)


async def test_slow_handshake_times_out_and_is_retried() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.faults.push(SlowFirstByte(0.3))
        fake.transcripts.push(SENTENCE)
        async with stt_for(fake, connect_timeout=0.1).stream(sample_rate=RATE) as stream:
            await Feed(stream).send(utterance(0.1, 0.6, 0.1))
            await stream.finalize()
            seen = await read_until(stream, from_finalize)
    assert seen[-1].text == SENTENCE
    assert len(fake.requests) == 2


async def test_handshake_slower_than_the_timeout_every_time_is_a_timeout_error() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.faults.push(SlowFirstByte(6.0), times=2)
        with pytest.raises(ProviderError) as info:
            async with stt_for(fake, connect_timeout=0.08, reconnect_attempts=1).stream(sample_rate=RATE):
                pass
    # a TIMEOUT (not a handshake that finally succeeded after the server's 6 s) on each of the two attempts
    assert (info.value.code, info.value.recoverable) == (ErrorCode.TIMEOUT, True)
    assert len(fake.requests) == 2


async def test_drop_mid_turn_reconnects_and_resends_the_turn_audio() -> None:
    async with FakeDeepgram(api_key=KEY, default_transcript=SENTENCE) as fake:
        fake.faults.push(DropAfter(1))  # the socket dies right after the first interim
        async with stt_for(fake, endpointing_ms=5000).stream(sample_rate=RATE) as stream:
            feed = Feed(stream)
            await feed.send(utterance(0.5, 0.6, 0.0))
            first = await read_until(stream, lambda t: True)
            await feed.send(tone_seconds(RATE, 0.4) + silence(RATE, 0.2))
            await stream.finalize()
            seen = await read_until(stream, from_finalize)

    assert first[0].text == "Hello" and not first[0].is_final
    final = seen[-1]
    assert (final.text, final.is_final) == (SENTENCE, True)
    assert words_of(final)[0][1] == 0.5, "word times stay in media time across the reconnect"
    assert len(fake.requests) == 2
    replayed = fake.requests[1].audio_bytes
    assert replayed == round(feed.time * RATE) * 2, "the new socket heard the whole turn from its start"
    assert fake.requests[1].messages_with(type="Finalize") == [{"type": "Finalize"}]


async def test_after_a_drop_only_audio_since_the_last_final_is_resent() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.transcripts.push("First one.", "Second one.", "Second one.")
        fake.faults.push(DropAfter(1))  # the first answer gets through; the socket dies before the second
        options = {"endpointing_ms": 5000, "interim_results": False}
        async with stt_for(fake, **options).stream(sample_rate=RATE) as stream:
            feed = Feed(stream)
            await feed.send(utterance(0.2, 0.6, 0.1))
            await stream.finalize()
            first = await read_until(stream, from_finalize)
            await feed.send(utterance(0.2, 0.6, 0.1))
            await stream.finalize()
            second = await read_until(stream, from_finalize)

    assert [t.text for t in first + second] == ["First one.", "Second one."]
    assert words_of(second[-1])[0][1] == 1.1, "media time: the second utterance starts 1.1 s into the call"
    assert len(fake.requests) == 2
    assert fake.requests[1].audio_bytes == round(0.9 * RATE) * 2, "only the unfinished turn was re-sent"


@pytest.mark.parametrize(
    "kind", [MalformedKind.INVALID_JSON, MalformedKind.UNKNOWN_TYPE, MalformedKind.BAD_FIELDS]
)
async def test_malformed_frames_are_ignored_and_the_stream_goes_on(kind: MalformedKind) -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.faults.push(Malformed(kind, after=1))
        fake.transcripts.push(SENTENCE)
        async with stt_for(fake).stream(sample_rate=RATE) as stream:
            await Feed(stream).send(utterance(0.3, 1.0, 0.5))
            seen = await read_until(stream, is_final)
    assert [(t.text, t.is_final) for t in seen] == [("Hello", False), (SENTENCE, False), (SENTENCE, True)]
    assert len(fake.requests) == 1


async def test_error_frame_ends_the_stream_with_bad_response() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.faults.push(ErrorFrame(after=1, message="model overloaded"))
        with pytest.raises(ProviderError) as info:
            async with stt_for(fake).stream(sample_rate=RATE) as stream:
                await Feed(stream).send(utterance(0.3, 1.0, 0.5))
                await read_until(stream, is_final)
    error = info.value
    assert (error.code, error.recoverable) == (ErrorCode.BAD_RESPONSE, True)
    assert "model overloaded" in error.message and "Deepgram" in error.message
    assert_no_key(str(error))


async def test_cancelling_the_stream_closes_the_socket() -> None:
    async with FakeDeepgram(api_key=KEY) as fake:
        with (
            anyio.CancelScope() as scope
        ):  # cancelled once the fake has all the audio (not after a wall-clock time)
            async with stt_for(fake).stream(sample_rate=RATE) as stream:
                await Feed(stream).send(utterance(0.1, 0.3, 0.0))
                with anyio.fail_after(30):  # a hang guard
                    while not fake.requests or fake.requests[0].audio_bytes < round(0.4 * RATE) * 2:
                        await anyio.sleep(0.01)
                scope.cancel()
        with anyio.fail_after(30):
            while not fake.requests[0].disconnected:
                await anyio.sleep(0.01)
    assert fake.requests[0].audio_bytes == round(0.4 * RATE) * 2


async def test_unreachable_server_is_a_recoverable_connection_error() -> None:
    options = DeepgramOptions(
        api_key=KEY, ws_url=f"ws://127.0.0.1:{unused_port()}", reconnect_attempts=1, reconnect_backoff=0.01
    )
    with pytest.raises(ProviderError) as info:
        async with DeepgramStt(options).stream(sample_rate=RATE):
            pass
    assert (info.value.code, info.value.recoverable) == (ErrorCode.CONNECTION_LOST, True)
    assert "2 attempts" in info.value.message
