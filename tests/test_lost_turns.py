"""Hardening (issue 18, item 5): a bad answer before the first token is a provider bad response, so the
fallback LLM is tried; alone, the turn fails with a coded error instead of silence."""

from __future__ import annotations

import json
from contextlib import aclosing

import anyio
import pytest

from providers.errors import ErrorCode, ProviderError
from providers.fallback import FallbackLlm
from providers.llm import ChatMessage, LlmRequest, Role, TextDelta
from providers.openai.llm import OpenAILlm, OpenAILlmOptions
from tests.fakes.canned_http import CannedHttpServer, CannedResponse, sse
from tests.fakes.openai import FakeOpenAI

pytestmark = [pytest.mark.anyio]

ASK = LlmRequest(messages=(ChatMessage(Role.USER, "Hello?"),))


def chunk(delta: dict[str, object], finish: str | None = None) -> str:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return json.dumps(
        {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m", "choices": [choice]}
    )


BAD_ANSWERS = {
    "empty stream": CannedResponse(b""),
    "plain JSON instead of SSE": CannedResponse(
        json.dumps({"choices": [{"message": {"content": "hi"}}]}).encode(), "application/json"
    ),
    "content of the wrong type": CannedResponse(sse(chunk({"content": 42}), "[DONE]")),
    "tool call without a name": CannedResponse(
        sse(
            chunk({"tool_calls": [{"index": 0, "id": "t1", "function": {"arguments": "{}"}}]}),
            chunk({}, "tool_calls"),
            "[DONE]",
        )
    ),
}


@pytest.mark.parametrize("answer", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
@pytest.mark.vendor_sdk
async def test_a_bad_answer_is_a_bad_response(answer: CannedResponse) -> None:
    async with CannedHttpServer(answer) as server:
        llm = OpenAILlm(OpenAILlmOptions(api_key="sk-x", base_url=server.base_url, max_retries=0))
        try:
            with anyio.fail_after(5), pytest.raises(ProviderError) as info:
                async with aclosing(llm.stream(ASK)) as chunks:
                    async for _ in chunks:
                        pass
        finally:
            await llm.aclose()
    assert info.value.code is ErrorCode.BAD_RESPONSE


@pytest.mark.parametrize("answer", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
@pytest.mark.vendor_sdk
async def test_the_fallback_answers_after_a_bad_answer(answer: CannedResponse) -> None:
    async with CannedHttpServer(answer) as server, FakeOpenAI(api_key=None) as good:
        good.replies.push("Hello from the fallback.")
        first = OpenAILlm(OpenAILlmOptions(api_key="sk-x", base_url=server.base_url, max_retries=0))
        second = OpenAILlm(OpenAILlmOptions(base_url=good.base_url, model="llama3.2", max_retries=0))
        try:
            with anyio.fail_after(5):
                async with aclosing(FallbackLlm([first, second]).stream(ASK)) as chunks:
                    text = "".join([c.text async for c in chunks if isinstance(c, TextDelta)])
        finally:
            await first.aclose()
            await second.aclose()
    assert text == "Hello from the fallback."


@pytest.mark.anyio
async def test_the_last_allowed_step_runs_no_tools() -> None:
    """With max_tool_steps 2, a model that keeps asking for tools gets them twice; the third ask (no tools were
    offered) runs nothing and the turn says why it stopped (issue 18: a tool ran 4 times with max 3)."""
    from pipeline.observe.events import ErrorEvent
    from pipeline.settings import AgentSettings, SessionSettings
    from tests.conversation import Call, converse, make_pipeline, of_type
    from tests.doubles import FakeTts, ScriptedLlm, ScriptedStt, call

    ran: list[str] = []

    def ping() -> str:
        """Ping."""
        ran.append("ping")
        return "pong"

    asks = [[call("ping", "{}", f"c{i}")] for i in range(5)]
    settings = SessionSettings(agent=AgentSettings(max_tool_steps=2))
    pipeline = make_pipeline(
        ScriptedStt(["ping it"]), ScriptedLlm(list(asks)), FakeTts(), tools=[ping], settings=settings
    )

    async def script(done: Call) -> None:
        await done.caller.speak(0.5)
        await done.caller.pause_until(done.has(ErrorEvent))

    done = await converse(pipeline, script)
    assert ran == ["ping", "ping"]
    assert [e.code for e in of_type(done.events, ErrorEvent)] == ["tool_steps_exhausted"]


@pytest.mark.anyio
async def test_an_empty_answer_is_reported_not_silent() -> None:
    from pipeline.observe.events import ErrorEvent
    from tests.conversation import Call, converse, make_pipeline, of_type
    from tests.doubles import FakeTts, ScriptedLlm, ScriptedStt

    pipeline = make_pipeline(ScriptedStt(["hello?"]), ScriptedLlm([""]), FakeTts())

    async def script(done: Call) -> None:
        await done.caller.speak(0.5)
        await done.caller.pause_until(done.has(ErrorEvent))

    done = await converse(pipeline, script)
    assert [e.code for e in of_type(done.events, ErrorEvent)] == ["empty_reply"]
