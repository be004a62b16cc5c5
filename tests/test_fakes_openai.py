"""The real openai SDK (AsyncOpenAI on httpx2) against the loopback OpenAI fake."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx2
import openai
import pytest
from openai import AsyncOpenAI

from tests.fakes.faults import DropAfter, ErrorFrame, Malformed, MalformedKind, Reject, SlowFirstByte
from tests.fakes.openai import FakeOpenAI
from tests.fakes.openai_chat import QUIRK_CASES, ChatQuirks, ChatReply, ToolCall, Usage

pytestmark = [pytest.mark.anyio, pytest.mark.vendor_sdk]

KEY = "sk-test-key"
MESSAGES: list[Any] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Paris?"},
]
TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
        },
    },
    {
        "type": "function",
        "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
    },
]


def client_for(fake: FakeOpenAI, key: str = KEY, **options: Any) -> AsyncOpenAI:
    return AsyncOpenAI(api_key=key, base_url=fake.base_url, **({"max_retries": 0} | options))


async def stream_chunks(client: AsyncOpenAI, **options: Any) -> list[Any]:
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}, **options
    )
    with anyio.fail_after(5):
        return [chunk async for chunk in stream]


def text_of(chunks: list[Any]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


async def test_streamed_text_reply_with_usage() -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        fake.replies.push(ChatReply.of("It is sunny in Paris.", usage=Usage(12, 6)))
        async with client_for(fake) as client:
            chunks = await stream_chunks(client)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[0].choices[0].delta.content == ""
    assert [c.choices[0].delta.content for c in chunks[1:6]] == ["It ", "is ", "sunny ", "in ", "Paris."]
    assert chunks[6].choices[0].finish_reason == "stop"
    assert chunks[7].choices == []
    assert chunks[7].usage is not None
    assert (
        chunks[7].usage.prompt_tokens,
        chunks[7].usage.completion_tokens,
        chunks[7].usage.total_tokens,
    ) == (12, 6, 18)
    assert len(chunks) == 8
    assert {c.id for c in chunks} == {"chatcmpl-1"}
    (request,) = fake.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body["messages"] == MESSAGES
    assert request.body["stream_options"] == {"include_usage": True}


async def test_parallel_tool_calls_are_split_over_chunks() -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        fake.replies.push(
            ChatReply.of(
                ToolCall("get_weather", {"location": "Paris"}, id="call_abc"),
                ToolCall("get_time", id="call_def"),
            )
        )
        async with client_for(fake) as client:
            chunks = await stream_chunks(client, tools=TOOLS, tool_choice="auto", parallel_tool_calls=True)
    pieces = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    firsts = [p for p in pieces if p.id is not None]
    assert [(p.index, p.id, p.type, p.function.name, p.function.arguments) for p in firsts] == [
        (0, "call_abc", "function", "get_weather", ""),
        (1, "call_def", "function", "get_time", ""),
    ]
    later = [p for p in pieces if p.id is None]
    assert later and all(p.function.name is None for p in later)
    arguments: dict[int, str] = {}
    for piece in pieces:
        arguments[piece.index] = arguments.get(piece.index, "") + (piece.function.arguments or "")
    assert json.loads(arguments[0]) == {"location": "Paris"}
    assert json.loads(arguments[1]) == {}
    assert sum(1 for p in pieces if p.index == 0) > 2, "arguments should arrive in several fragments"
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == ["tool_calls"]
    assert [t["function"]["name"] for t in fake.requests[0].body["tools"]] == ["get_weather", "get_time"]
    assert fake.requests[0].body["parallel_tool_calls"] is True


async def test_non_streamed_completion() -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        fake.replies.push(ChatReply.of("Checking. ", ToolCall("get_time", id="call_1")))
        async with client_for(fake) as client:
            completion = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    message = completion.choices[0].message
    assert message.content == "Checking. "
    assert message.tool_calls is not None
    assert [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls] == [
        ("call_1", "get_time", "{}")
    ]
    assert completion.choices[0].finish_reason == "tool_calls"
    assert completion.usage is not None and completion.usage.total_tokens > 0


async def test_default_reply_echoes_the_user() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, client_for(fake) as client:
        chunks = await stream_chunks(client)
    assert text_of(chunks) == "You said: Weather in Paris?"


@pytest.mark.parametrize("quirks", QUIRK_CASES.values(), ids=QUIRK_CASES.keys())
async def test_compatible_server_quirks_still_parse(quirks: ChatQuirks) -> None:
    async with FakeOpenAI(api_key=None) as fake:
        fake.config.quirks = quirks
        fake.replies.push(ChatReply.of("Hello from a local model."))
        async with client_for(fake, key="EMPTY") as client:
            chunks = await stream_chunks(client)
    assert text_of(chunks) == "Hello from a local model."
    has_usage = any(c.usage is not None for c in chunks)
    assert has_usage is not quirks.no_usage
    assert all(getattr(c, "id", None) is None for c in chunks) is quirks.no_id


async def test_wrong_key_raises_authentication_error() -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        with pytest.raises(openai.AuthenticationError) as info:
            async with client_for(fake, key="sk-wrong") as client:
                await stream_chunks(client)
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"
    assert info.value.body == {
        "message": "Incorrect API key provided",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Reject(401), openai.AuthenticationError),
        (Reject.rate_limited(), openai.RateLimitError),
        (Reject(500), openai.InternalServerError),
        (DropAfter(2), openai.APIConnectionError),
        (ErrorFrame(after=2, message="overloaded"), openai.APIError),
        (Malformed(MalformedKind.INVALID_JSON, after=1), json.JSONDecodeError),
    ],
)
async def test_faults_raise_the_sdk_exceptions(fault: Any, error: type[Exception]) -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        fake.faults.push(fault)
        with pytest.raises(error):
            async with client_for(fake) as client:
                await stream_chunks(client)


async def test_error_frame_message_and_partial_text() -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        fake.replies.push(ChatReply.of("one two three four"))
        fake.faults.push(ErrorFrame(after=3, message="overloaded"))
        seen: list[str] = []
        async with client_for(fake) as client:
            stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
            with pytest.raises(openai.APIError) as info:
                async for chunk in stream:
                    seen.append(chunk.choices[0].delta.content or "")
    assert "".join(seen) == "one two "
    assert info.value.message == "overloaded"


async def test_unknown_event_is_yielded_without_choices() -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        fake.faults.push(Malformed(MalformedKind.UNKNOWN_TYPE, after=1))
        async with client_for(fake) as client:
            chunks = await stream_chunks(client)
    assert sum(1 for c in chunks if not getattr(c, "choices", None)) == 2  # the odd event and the usage chunk
    assert text_of([c for c in chunks if getattr(c, "choices", None)]) == "You said: Weather in Paris?"


async def test_rate_limit_is_retried_after_retry_after_ms() -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        fake.faults.push(Reject.rate_limited(0.001), times=2)
        async with client_for(fake, max_retries=2) as client:
            chunks = await stream_chunks(client)
    assert text_of(chunks).startswith("You said:")
    assert len(fake.requests) == 3


async def test_slow_first_byte_times_out() -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        fake.faults.push(SlowFirstByte(1.0))
        with pytest.raises(openai.APITimeoutError):
            async with client_for(fake, timeout=0.2) as client:
                await stream_chunks(client)


async def test_first_token_delay_and_pacing() -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        fake.config.first_token_delay = 0.2
        fake.config.tokens_per_second = 50
        fake.replies.push(ChatReply.of("a b c d e f g h i j"))
        async with client_for(fake) as client:
            started = anyio.current_time()
            stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
            stamps = [anyio.current_time() - started async for _ in stream]
    assert stamps[0] >= 0.2
    assert stamps[-1] - stamps[0] >= 9 / 50  # ten content chunks after the role chunk, 20 ms apart


async def test_client_abort_is_recorded() -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        fake.config.tokens_per_second = 100
        fake.replies.push(ChatReply.of(" ".join(["word"] * 200)))
        async with client_for(fake) as client:
            stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
            async for _ in stream:
                break
            await stream.close()
            with anyio.fail_after(2):
                while not fake.requests[0].disconnected:
                    await anyio.sleep(0.01)


async def test_speech_streams_24khz_pcm() -> None:
    async with (
        FakeOpenAI(api_key=KEY) as fake,
        client_for(fake) as client,
        client.audio.speech.with_streaming_response.create(
            model="gpt-4o-mini-tts", voice="alloy", input="Hello there.", response_format="pcm"
        ) as response,
    ):
        pieces = [piece async for piece in response.iter_bytes()]
    assert len(b"".join(pieces)) == len("Hello there.") * 24000 * 60 // 1000 * 2
    assert fake.requests[0].body == {
        "input": "Hello there.",
        "model": "gpt-4o-mini-tts",
        "voice": "alloy",
        "response_format": "pcm",
    }


async def test_speech_faults() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, client_for(fake) as client:
        fake.faults.push(DropAfter(1))
        # Raw streamed bytes are not wrapped by the SDK: the transport error surfaces as is.
        with pytest.raises(httpx2.RemoteProtocolError):
            async with client.audio.speech.with_streaming_response.create(
                model="tts-1",
                voice="alloy",
                input="A sentence long enough for chunks.",
                response_format="pcm",
            ) as response:
                await response.read()
        with pytest.raises(openai.BadRequestError):
            await client.audio.speech.create(model="tts-1", voice="alloy", input="Hi", response_format="mp3")


async def test_transcription_json_and_stream() -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        fake.transcriptions.push("Turn left here.", "Then stop.")
        audio = ("speech.wav", b"RIFF" + bytes(3200), "audio/wav")
        async with client_for(fake) as client:
            result = await client.audio.transcriptions.create(model="whisper-1", file=audio)
            stream = await client.audio.transcriptions.create(
                model="gpt-4o-transcribe", file=audio, stream=True
            )
            events = [event async for event in stream]
    assert result.text == "Turn left here."
    assert [e.delta for e in events if e.type == "transcript.text.delta"] == ["Then", " stop."]
    assert events[-1].type == "transcript.text.done"
    assert events[-1].text == "Then stop."
    first, second = fake.requests
    assert first.body["model"] == "whisper-1"
    assert first.body["file"] == {"filename": "speech.wav", "content_type": "audio/wav", "size": 3204}
    assert second.body["stream"] == "true"
