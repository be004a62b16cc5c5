"""``openai`` LLM: streamed chat completions with tools, from OpenAI or any OpenAI-compatible server.

    llm: {provider: openai, model: gpt-4o-mini}
    llm: {provider: openai, base_url: http://localhost:11434/v1, model: llama3.2}    # Ollama, no key needed

Uses the raw ``chat.completions.create(stream=True)`` and assembles tool calls itself (see ``chat_chunks``), so
servers that send bare chunks work too. Failures are retried only before the answer starts: the SDK retries
connection errors, 408/409/429 and 5xx up to ``max_retries`` times before the response begins; nothing is ever
retried once the stream has started (the caller would hear the answer twice), and a failure mid-stream raises a
``ProviderError`` for the pipeline to report. ``first_token_timeout`` bounds the wait for the first token,
retries included. Closing the generator (barge-in) closes the HTTP stream.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Any

import anyio
from openai import AsyncOpenAI, AsyncStream
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import Field

from providers.errors import ErrorCode, ProviderError
from providers.llm import LlmChunk, LlmRequest
from providers.openai.chat_chunks import CompletionReader, MalformedChunk
from providers.openai.connection import ClientHandle, OpenAIConnectionOptions
from providers.openai.errors import PROVIDER, ErrorContext
from providers.openai.messages import to_openai_messages, to_openai_tools
from providers.openai.steps import FirstItemDeadline, sdk_step
from providers.registry import ProviderSpec


class OpenAILlmOptions(OpenAIConnectionOptions):
    model: str = "gpt-4o-mini"
    temperature: float | None = Field(None, ge=0.0, le=2.0, description="default when the session sets none")
    max_tokens: int | None = Field(None, gt=0, description="default when the session sets none")
    first_token_timeout: float | None = Field(
        10.0,
        gt=0,
        description="seconds from the request to the first token (text or tool call), retries included",
    )
    parallel_tool_calls: bool | None = Field(
        None, description="sent only with tools; None leaves the default"
    )
    include_usage: bool = Field(True, description="ask for token usage (stream_options.include_usage)")


class OpenAILlm:
    provider = PROVIDER

    def __init__(self, options: OpenAILlmOptions | None = None) -> None:
        self.options = options or OpenAILlmOptions()
        self.model = self.options.model
        self._client = ClientHandle(self.options)
        self._errors = ErrorContext.of("chat completion", self.options)

    async def aclose(self) -> None:
        """Close the HTTP client (its pooled connections)."""
        await self._client.aclose()

    def request_params(self, request: LlmRequest) -> dict[str, Any]:
        """The keyword arguments of ``chat.completions.create`` for ``request``."""
        options = self.options
        params: dict[str, Any] = {
            "model": options.model,
            "messages": to_openai_messages(request.messages),
            "stream": True,
        }
        if options.include_usage:
            params["stream_options"] = {"include_usage": True}
        temperature = request.temperature if request.temperature is not None else options.temperature
        if temperature is not None:
            params["temperature"] = temperature
        max_tokens = request.max_tokens if request.max_tokens is not None else options.max_tokens
        if max_tokens is not None:
            params["max_tokens"] = max_tokens
        if request.tools:
            params["tools"] = to_openai_tools(request.tools)
            params["tool_choice"] = "auto"
            if options.parallel_tool_calls is not None:
                params["parallel_tool_calls"] = options.parallel_tool_calls
        return params

    @staticmethod
    async def _post(client: AsyncOpenAI, params: dict[str, Any]) -> AsyncStream[ChatCompletionChunk]:
        """``chat.completions.create(**params)`` without the SDK re-validating the body on the event loop: it
        costs ~0.1 ms per history message (9 ms at 80 messages) before every reply, and our body is already plain
        JSON. Same request, headers, retries and stream handling (the SDK's public ``post``)."""
        return await client.post(
            "/chat/completions",
            body=params,
            cast_to=ChatCompletion,
            stream=True,
            stream_cls=AsyncStream[ChatCompletionChunk],
            options={"security": {"bearer_auth": True}},
        )

    async def stream(self, request: LlmRequest) -> AsyncGenerator[LlmChunk, None]:
        client = self._client.get()
        params = self.request_params(request)
        deadline = FirstItemDeadline(self.options.first_token_timeout, "first token")
        completion: AsyncStream[ChatCompletionChunk] = await sdk_step(
            lambda: self._post(client, params), deadline, self._errors, mid_stream=False
        )
        reader = CompletionReader()
        try:
            while True:
                chunk = await sdk_step(
                    lambda: anext(completion, None), deadline, self._errors, mid_stream=True
                )
                if chunk is None:
                    break
                items = self._read(reader.feed, chunk)
                if reader.progressed:  # a token came: from now on only the read timeout applies
                    deadline.met()
                for item in items:
                    yield item
            if not reader.progressed and reader.finish_reason is None:
                # 200 with an empty stream, or plain JSON where SSE was expected: not an answer (the fallback
                # LLM is tried; alone, the turn fails with an error event)
                raise self._bad_response("answered with no tokens (an empty or non-SSE stream)")
            for item in self._read(lambda _: reader.finish(), None):
                yield item
        finally:
            with anyio.CancelScope(shield=True):  # also when closed on barge-in, or cancelled
                await completion.close()

    def _read(self, feed: Callable[[Any], list[LlmChunk]], chunk: Any) -> list[LlmChunk]:
        try:
            return feed(chunk)
        except (MalformedChunk, TypeError, ValueError, AttributeError) as exc:
            raise self._bad_response(f"sent a malformed chunk ({exc})") from None

    def _bad_response(self, what: str) -> ProviderError:
        errors = self._errors
        return ProviderError(PROVIDER, f"{errors.server} {what} ({errors.what})", code=ErrorCode.BAD_RESPONSE)


SPEC = ProviderSpec(
    kind="llm",
    name="openai",
    options=OpenAILlmOptions,
    build=OpenAILlm,
    description="OpenAI chat completions, or any OpenAI-compatible server via base_url (Ollama, vLLM, llama.cpp)",
)
