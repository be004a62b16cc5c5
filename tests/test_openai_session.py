"""Whole sessions (real time, asyncio) with the OpenAI LLM adapter against the fake and test doubles for the
other stages: a reply that fails mid-stream is reported and the next turn works; with a fallback list, a failing
first LLM is answered by the second and the session reports the availability change."""

from __future__ import annotations

import pytest

from pipeline.observe.events import (
    AgentStoppedSpeaking,
    ErrorEvent,
    ProviderAvailabilityChanged,
    SessionEnded,
)
from pipeline.session.pipeline import Pipeline
from pipeline.settings import SessionSettings, TurnSettings
from providers.fallback import FallbackLlm
from providers.llm import LLM
from providers.openai.llm import OpenAILlm, OpenAILlmOptions
from tests.conversation import Call, of_type, run_call
from tests.doubles import FakeTts, ScriptedStt
from tests.fakes.faults import DropAfter, Reject
from tests.fakes.openai import FakeOpenAI
from vad import EnergyVad

pytestmark = [pytest.mark.anyio, pytest.mark.vendor_sdk, pytest.mark.filterwarnings("error::ResourceWarning")]

KEY = "sk-session-test-0123456789"


def pipeline_with(llm: LLM, utterances: list[str]) -> Pipeline:
    settings = SessionSettings(turn=TurnSettings(detector="silence", endpointing_delay=0.3))
    return Pipeline(
        stt=ScriptedStt(utterances, final_delay=0.05),
        llm=llm,
        tts=FakeTts(ttfb=0.02, seconds_per_char=0.01),
        vad=EnergyVad(),
        settings=settings,
    )


async def test_a_reply_failing_mid_stream_is_reported_and_the_next_turn_works() -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        fake.replies.push("Let me think about that for a moment. Hmm", "Sure thing.")
        fake.faults.push(DropAfter(4))  # the role chunk, "Let ", "me ", "think " — then the connection drops
        llm = OpenAILlm(OpenAILlmOptions(api_key=KEY, base_url=fake.base_url, max_retries=2))

        async def script(call: Call) -> None:
            await call.caller.pause(0.2)
            await call.caller.speak(0.5)
            await call.caller.pause_until(call.has(ErrorEvent), limit=5)
            await call.caller.pause(0.3)
            await call.caller.speak(0.5)
            await call.caller.pause_until(call.has(AgentStoppedSpeaking), limit=5)

        pipeline = pipeline_with(llm, ["what do you think", "are you there"])
        try:
            events = (await run_call(pipeline, script, limit=15)).events
        finally:
            await llm.aclose()
    (error,) = of_type(events, ErrorEvent)
    assert (error.source, error.code, error.recoverable) == ("openai", "connection_lost", True)
    assert KEY not in error.message
    (stopped,) = of_type(events, AgentStoppedSpeaking)
    assert (stopped.heard_text, stopped.interrupted) == ("Sure thing.", False)
    (ended,) = of_type(events, SessionEnded)
    assert ended.reason == "ended"
    assert len(fake.requests) == 2  # the failed reply was not retried
    assert fake.requests[1].body["messages"][-1] == {"role": "user", "content": "are you there"}


async def test_with_a_fallback_list_the_second_llm_answers_and_the_change_is_reported() -> None:
    async with FakeOpenAI(api_key=KEY) as primary_fake, FakeOpenAI(api_key=None) as backup_fake:
        primary_fake.faults.push(Reject(500))
        backup_fake.replies.push("From the backup.")
        primary = OpenAILlm(
            OpenAILlmOptions(api_key=KEY, base_url=primary_fake.base_url, model="primary", max_retries=0)
        )
        backup = OpenAILlm(OpenAILlmOptions(base_url=backup_fake.base_url, model="backup", max_retries=0))

        async def script(call: Call) -> None:
            await call.caller.pause(0.2)
            await call.caller.speak(0.5)
            await call.caller.pause_until(call.has(AgentStoppedSpeaking), limit=5)

        pipeline = pipeline_with(FallbackLlm([primary, backup]), ["hello"])
        try:
            events = (await run_call(pipeline, script, limit=15)).events
        finally:
            await primary.aclose()
            await backup.aclose()
    (change,) = of_type(events, ProviderAvailabilityChanged)
    assert (change.provider, change.model, change.available) == ("openai", "primary", False)
    assert "500" in change.reason
    assert of_type(events, ErrorEvent) == []
    (stopped,) = of_type(events, AgentStoppedSpeaking)
    assert stopped.heard_text == "From the backup."
