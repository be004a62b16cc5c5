"""A fallback list of two OpenAI LLMs (two fakes): when the first fails before its first token the second
answers, and every change of availability is reported; a failure after the first token is not moved over."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from typing import Any

import anyio
import pytest

from providers.errors import ErrorCode, ProviderError
from providers.fallback import AvailabilityChange, FallbackLlm
from providers.llm import ChatMessage, LlmChunk, LlmRequest, Role, TextDelta
from providers.openai.llm import OpenAILlm, OpenAILlmOptions
from tests.fakes.faults import DropAfter, Fault, Reject, SlowFirstByte
from tests.fakes.openai import FakeOpenAI

pytestmark = [pytest.mark.anyio, pytest.mark.vendor_sdk, pytest.mark.filterwarnings("error::ResourceWarning")]

KEY = "sk-fallback-test-0123456789"
ASK = LlmRequest(messages=(ChatMessage(Role.USER, "Hello?"),))


@asynccontextmanager
async def two_llms(**first_options: Any) -> AsyncIterator[tuple[FakeOpenAI, FakeOpenAI, FallbackLlm]]:
    async with FakeOpenAI(api_key=KEY) as first_fake, FakeOpenAI(api_key=None) as second_fake:
        settings = {"api_key": KEY, "base_url": first_fake.base_url, "model": "gpt-4o-mini", "max_retries": 0}
        first = OpenAILlm(OpenAILlmOptions(**(settings | first_options)))
        second = OpenAILlm(OpenAILlmOptions(base_url=second_fake.base_url, model="llama3.2", max_retries=0))
        try:
            yield first_fake, second_fake, FallbackLlm([first, second], recovery_after=0.0)
        finally:
            await first.aclose()
            await second.aclose()


async def text(llm: FallbackLlm) -> str:
    with anyio.fail_after(5):
        async with aclosing(llm.stream(ASK)) as chunks:
            return "".join([c.text async for c in chunks if isinstance(c, TextDelta)])


@pytest.mark.parametrize(
    ("fault", "options", "code"),
    [
        (Reject(500), {}, ErrorCode.SERVER_ERROR),
        (Reject(401), {}, ErrorCode.AUTH_FAILED),
        (SlowFirstByte(2.0), {"first_token_timeout": 0.2}, ErrorCode.TIMEOUT),
    ],
    ids=["500", "401", "timeout"],
)
async def test_the_second_llm_answers_when_the_first_fails_before_its_first_token(
    fault: Fault, options: dict[str, Any], code: ErrorCode
) -> None:
    changes: list[AvailabilityChange] = []
    async with two_llms(**options) as (first_fake, second_fake, llm):
        unsubscribe = llm.subscribe_availability(changes.append)
        first_fake.faults.push(fault)
        first_fake.replies.push("From the first.")
        second_fake.replies.push("From the second.")
        assert await text(llm) == "From the second."
        assert [(c.provider, c.model, c.available) for c in changes] == [("openai", "gpt-4o-mini", False)]
        assert KEY not in changes[0].reason
        # the first one is tried again (recovery_after=0) and answers: it is reported back up
        assert await text(llm) == "From the first."
        assert [(c.model, c.available) for c in changes] == [("gpt-4o-mini", False), ("gpt-4o-mini", True)]
        unsubscribe()
    assert len(first_fake.requests) == 2 and len(second_fake.requests) == 1


async def test_a_failure_after_the_first_token_is_not_moved_to_the_next_llm() -> None:
    changes: list[AvailabilityChange] = []
    got: list[LlmChunk] = []
    async with two_llms() as (first_fake, second_fake, llm):
        llm.subscribe_availability(changes.append)
        first_fake.replies.push("one two three four")
        first_fake.faults.push(DropAfter(3))
        with pytest.raises(ProviderError) as info, anyio.fail_after(5):
            async with aclosing(llm.stream(ASK)) as chunks:
                async for chunk in chunks:
                    got.append(chunk)
    assert got == [TextDelta("one "), TextDelta("two ")]
    assert info.value.code is ErrorCode.CONNECTION_LOST
    assert second_fake.requests == []
    assert changes == []


async def test_when_every_llm_fails_the_error_says_why() -> None:
    async with two_llms() as (first_fake, second_fake, llm):
        first_fake.faults.push(Reject(500))
        second_fake.faults.push(Reject(503))
        with pytest.raises(ProviderError) as info:
            await text(llm)
    assert info.value.provider == "fallback"
    assert info.value.code is ErrorCode.SERVER_ERROR and info.value.recoverable
    assert "500" in info.value.message and "503" in info.value.message
