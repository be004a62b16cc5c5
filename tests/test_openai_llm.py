"""The OpenAI LLM adapter with the real SDK against the loopback fake: what it yields, what it sends, how each
failure surfaces, and that closing it early closes the HTTP stream."""

from __future__ import annotations

import json
from contextlib import aclosing
from typing import Any

import anyio
import pytest

from providers.errors import ErrorCode, ProviderError
from providers.llm import ChatMessage, LlmChunk, LlmRequest, LlmUsage, Role, TextDelta, ToolCall, ToolSchema
from providers.openai.llm import OpenAILlm, OpenAILlmOptions
from tests.adapters import unused_port
from tests.fakes.faults import DropAfter, ErrorFrame, Malformed, MalformedKind, Reject, SlowFirstByte
from tests.fakes.openai import FakeOpenAI
from tests.fakes.openai_chat import QUIRK_CASES, ChatQuirks, ChatReply, Usage
from tests.fakes.openai_chat import ToolCall as FakeToolCall

pytestmark = [pytest.mark.anyio, pytest.mark.vendor_sdk, pytest.mark.filterwarnings("error::ResourceWarning")]

KEY = "sk-test-0123456789abcdef"
ASK = LlmRequest(
    messages=(ChatMessage(Role.SYSTEM, "Be brief."), ChatMessage(Role.USER, "Weather in Paris?"))
)
WEATHER = ToolSchema(
    "get_weather",
    "Current weather for a city",
    {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
)
TIME = ToolSchema("get_time", "The time now")


def openai_llm(fake: FakeOpenAI, **options: Any) -> aclosing[OpenAILlm]:
    settings: dict[str, Any] = {"api_key": KEY, "base_url": fake.base_url, "max_retries": 0} | options
    return aclosing(OpenAILlm(OpenAILlmOptions(**settings)))


async def collect(llm: OpenAILlm, request: LlmRequest = ASK) -> list[LlmChunk]:
    with anyio.fail_after(5):
        async with aclosing(llm.stream(request)) as chunks:
            return [chunk async for chunk in chunks]


async def collect_until_error(
    llm: OpenAILlm, request: LlmRequest = ASK
) -> tuple[list[LlmChunk], ProviderError]:
    got: list[LlmChunk] = []
    with anyio.fail_after(5), pytest.raises(ProviderError) as info:
        async with aclosing(llm.stream(request)) as chunks:
            async for chunk in chunks:
                got.append(chunk)
    return got, info.value


def text_of(chunks: list[LlmChunk]) -> str:
    return "".join(chunk.text for chunk in chunks if isinstance(chunk, TextDelta))


# --- what it yields and sends ------------------------------------------------------------------------------


async def test_text_deltas_are_yielded_exactly_then_usage() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_llm(fake, temperature=0.3) as llm:
        fake.replies.push(ChatReply.of("It is sunny in Paris.", usage=Usage(12, 6)))
        chunks = await collect(llm)
    assert chunks == [
        TextDelta("It "),
        TextDelta("is "),
        TextDelta("sunny "),
        TextDelta("in "),
        TextDelta("Paris."),
        LlmUsage(prompt_tokens=12, completion_tokens=6),
    ]
    (request,) = fake.requests
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = request.body
    assert body["model"] == "gpt-4o-mini"
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["temperature"] == 0.3
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
    ]
    assert "tools" not in body and "tool_choice" not in body and "parallel_tool_calls" not in body


async def test_request_settings_override_the_options() -> None:
    request = LlmRequest(messages=ASK.messages, temperature=0.9, max_tokens=50)
    async with FakeOpenAI(api_key=KEY) as fake, openai_llm(fake, temperature=0.1, max_tokens=10) as llm:
        await collect(llm, request)
    assert (fake.requests[0].body["temperature"], fake.requests[0].body["max_tokens"]) == (0.9, 50)


async def test_parallel_tool_calls_are_assembled_in_index_order() -> None:
    request = LlmRequest(messages=ASK.messages, tools=(WEATHER, TIME))
    reply = ChatReply.of(
        "Let me check. ",
        FakeToolCall(
            "get_weather", {"location": "Paris", "unit": "celsius"}, id="call_abc", fragment_chars=5
        ),
        FakeToolCall("get_time", id="call_def"),
        usage=Usage(30, 12),
    )
    async with FakeOpenAI(api_key=KEY) as fake, openai_llm(fake, parallel_tool_calls=True) as llm:
        fake.replies.push(reply)
        chunks = await collect(llm, request)
    assert chunks == [
        TextDelta("Let "),
        TextDelta("me "),
        TextDelta("check. "),
        ToolCall("call_abc", "get_weather", '{"location": "Paris", "unit": "celsius"}'),
        ToolCall("call_def", "get_time", "{}"),
        LlmUsage(30, 12),
    ]
    body = fake.requests[0].body
    assert body["tool_choice"] == "auto"
    assert body["parallel_tool_calls"] is True
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather for a city",
                "parameters": WEATHER.parameters,
            },
        },
        {
            "type": "function",
            "function": {
                "name": "get_time",
                "description": "The time now",
                "parameters": {"type": "object", "properties": {}},
            },
        },
    ]


async def test_history_with_tool_calls_and_an_interruption_is_sent_in_openai_form() -> None:
    weather = ToolCall("call_1", "get_weather", '{"location": "Paris"}')
    clock = ToolCall("call_2", "get_time", "")
    history = (
        ChatMessage(Role.SYSTEM, "Be brief."),
        ChatMessage(Role.USER, "Weather and time in Paris?"),
        ChatMessage(Role.ASSISTANT, "", tool_calls=(weather, clock)),
        ChatMessage(Role.TOOL, '{"celsius": 21}', tool_call_id="call_1"),
        ChatMessage(Role.TOOL, '"10:00"', tool_call_id="call_2"),
        ChatMessage(Role.ASSISTANT, "It is 21 degrees and it is", interrupted=True),
        ChatMessage(Role.USER, "Thanks."),
    )
    async with FakeOpenAI(api_key=KEY) as fake, openai_llm(fake) as llm:
        await collect(llm, LlmRequest(messages=history, tools=(WEATHER, TIME)))
    assert fake.requests[0].body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather and time in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'},
                },
                {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"celsius": 21}'},
        {"role": "tool", "tool_call_id": "call_2", "content": '"10:00"'},
        {"role": "assistant", "content": "It is 21 degrees and it is…"},
        {"role": "user", "content": "Thanks."},
    ]


@pytest.mark.parametrize("quirks", QUIRK_CASES.values(), ids=QUIRK_CASES.keys())
async def test_compatible_server_quirks(quirks: ChatQuirks) -> None:
    request = LlmRequest(messages=ASK.messages, tools=(WEATHER,))
    async with FakeOpenAI(api_key=None) as fake:
        fake.config.quirks = quirks
        fake.replies.push(
            ChatReply.of("Checking. ", FakeToolCall("get_weather", {"location": "Oslo"}, id="c1"))
        )
        llm = OpenAILlm(OpenAILlmOptions(base_url=fake.base_url, model="llama3.2", max_retries=0))
        try:
            chunks = await collect(llm, request)
        finally:
            await llm.aclose()
    assert fake.requests[0].headers["authorization"] == "Bearer EMPTY"  # no key for a compatible server
    assert text_of(chunks) == "Checking. "
    assert [c for c in chunks if isinstance(c, ToolCall)] == [
        ToolCall("c1", "get_weather", '{"location": "Oslo"}')
    ]
    assert any(isinstance(c, LlmUsage) for c in chunks) is not quirks.no_usage


async def test_event_without_choices_is_ignored() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_llm(fake) as llm:
        fake.replies.push("All good here.")
        fake.faults.push(Malformed(MalformedKind.UNKNOWN_TYPE, after=2))
        chunks = await collect(llm)
    assert text_of(chunks) == "All good here."


# --- failures ----------------------------------------------------------------------------------------------


async def test_wrong_key_is_unrecoverable_names_the_variable_and_never_leaks_the_key() -> None:
    wrong = "sk-wrong-9f8e7d6c5b4a3210"
    echoed = json.dumps(
        {
            "error": {
                "message": f"Incorrect API key provided: {wrong}.",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        }
    ).encode()
    async with FakeOpenAI(api_key=KEY) as fake, openai_llm(fake, api_key=wrong, max_retries=2) as llm:
        fake.faults.push(Reject(401, body=echoed))
        got, error = await collect_until_error(llm)
    assert got == []
    assert (error.code, error.recoverable, error.status) == (ErrorCode.AUTH_FAILED, False, 401)
    assert "OPENAI_API_KEY" in error.message
    assert wrong not in str(error) and wrong[:12] not in str(error)
    assert len(fake.requests) == 1  # 401 is not retried


async def test_rate_limit_with_retry_after_ms_is_retried_then_answered() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_llm(fake, max_retries=2) as llm:
        fake.faults.push(Reject.rate_limited(0.001), times=2)
        fake.replies.push("Finally.")
        chunks = await collect(llm)
    assert text_of(chunks) == "Finally."
    assert len(fake.requests) == 3


async def test_rate_limit_without_retries_left_is_reported() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_llm(fake) as llm:
        fake.faults.push(Reject.rate_limited(0.001))
        _, error = await collect_until_error(llm)
    assert (error.code, error.recoverable, error.status) == (ErrorCode.RATE_LIMITED, True, 429)


async def test_server_error_is_retried_then_reported() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_llm(fake, max_retries=2) as llm:
        fake.faults.push(Reject(500, headers={"retry-after-ms": "1"}), times=3)
        _, error = await collect_until_error(llm)
    assert (error.code, error.recoverable, error.status) == (ErrorCode.SERVER_ERROR, True, 500)
    assert "500" in error.message
    assert len(fake.requests) == 3


async def test_drop_mid_stream_raises_after_the_first_tokens_and_is_not_retried() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_llm(fake, max_retries=2) as llm:
        fake.replies.push("one two three four five six")
        fake.faults.push(DropAfter(3))  # the role chunk, "one ", "two "
        got, error = await collect_until_error(llm)
    assert got == [TextDelta("one "), TextDelta("two ")]
    assert (error.code, error.recoverable) == (ErrorCode.CONNECTION_LOST, True)
    assert "mid-stream" in error.message
    assert len(fake.requests) == 1


async def test_error_frame_mid_stream() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_llm(fake, max_retries=2) as llm:
        fake.replies.push("one two three four")
        fake.faults.push(ErrorFrame(after=3, message="The model is overloaded"))
        got, error = await collect_until_error(llm)
    assert got == [TextDelta("one "), TextDelta("two ")]
    assert error.code is ErrorCode.SERVER_ERROR
    assert "The model is overloaded" in error.message
    assert len(fake.requests) == 1


async def test_malformed_frame_is_a_bad_response() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_llm(fake) as llm:
        fake.replies.push("one two three")
        fake.faults.push(Malformed(MalformedKind.INVALID_JSON, after=2))
        got, error = await collect_until_error(llm)
    assert got == [TextDelta("one ")]
    assert error.code is ErrorCode.BAD_RESPONSE


async def test_slow_first_byte_beyond_first_token_timeout() -> None:
    async with (
        FakeOpenAI(api_key=KEY) as fake,
        openai_llm(fake, first_token_timeout=0.2, max_retries=2) as llm,
    ):
        fake.faults.push(SlowFirstByte(6.0))
        started = anyio.current_time()
        _, error = await collect_until_error(llm)
        waited = anyio.current_time() - started
    assert error.code is ErrorCode.TIMEOUT
    assert "first token" in error.message
    assert 0.2 <= waited < 5.0  # the server would have answered after 6 s (a bound that holds under load)
    assert len(fake.requests) == 1


async def test_first_token_timeout_also_covers_a_response_that_started_but_stays_silent() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_llm(fake, first_token_timeout=0.2) as llm:
        fake.config.first_token_delay = 2.0
        _, error = await collect_until_error(llm)
    assert error.code is ErrorCode.TIMEOUT


async def test_unreachable_server_is_a_connection_error() -> None:
    port = unused_port()
    llm = OpenAILlm(OpenAILlmOptions(base_url=f"http://127.0.0.1:{port}/v1", max_retries=0))
    try:
        _, error = await collect_until_error(llm)
    finally:
        await llm.aclose()
    assert (error.code, error.recoverable) == (ErrorCode.CONNECTION_LOST, True)
    assert f"127.0.0.1:{port}" in error.message


async def test_unknown_model_is_unrecoverable() -> None:
    body = b'{"error":{"message":"model \\"nope\\" not found, try pulling it first","type":"api_error"}}'
    async with FakeOpenAI(api_key=None) as fake:
        fake.faults.push(Reject(404, body=body))
        llm = OpenAILlm(OpenAILlmOptions(base_url=fake.base_url, model="nope", max_retries=0))
        try:
            _, error = await collect_until_error(llm)
        finally:
            await llm.aclose()
    assert (error.code, error.recoverable, error.status) == (ErrorCode.BAD_REQUEST, False, 404)
    assert 'model "nope" not found' in error.message


# --- closing -----------------------------------------------------------------------------------------------


async def test_closing_the_generator_early_closes_the_http_stream() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_llm(fake) as llm:
        fake.config.tokens_per_second = 100
        fake.replies.push(" ".join(["word"] * 300))
        async with aclosing(llm.stream(ASK)) as chunks:
            first = await anext(chunks)
        assert first == TextDelta("word ")
        with anyio.fail_after(2):
            while not fake.requests[0].disconnected:
                await anyio.sleep(0.01)


async def test_cancelling_the_consumer_closes_the_http_stream() -> None:
    async with FakeOpenAI(api_key=KEY) as fake, openai_llm(fake) as llm:
        fake.config.tokens_per_second = 50
        fake.replies.push(" ".join(["word"] * 300))
        got: list[LlmChunk] = []

        with anyio.CancelScope() as scope:  # cancelled by the consumer itself after a few chunks
            async with aclosing(llm.stream(ASK)) as chunks:
                async for chunk in chunks:
                    got.append(chunk)
                    if len(got) == 5:
                        scope.cancel()
        assert 5 <= len(got) < 300
        with anyio.fail_after(30):  # a hang guard: the close reaches the fake at once on an idle machine
            while not fake.requests[0].disconnected:
                await anyio.sleep(0.01)
