"""One scripted call for the observability tests: the caller asks for the weather (a tool call), the agent
answers at length, the caller barges in, the agent answers again. Runs on virtual time."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.observe.events import AgentStartedSpeaking, AgentStoppedSpeaking
from pipeline.observe.observer import SessionObserver
from pipeline.session.pipeline import Pipeline
from pipeline.stages.tools import tool
from tests.conversation import Call, converse, make_pipeline, of_type
from tests.doubles import FakeTts, ScriptedLlm, ScriptedStt, call

LONG_REPLY = "It is 21 degrees in Paris. It goes on for a while. Nobody wants to hear all of it. The end."


@tool
def get_weather(city: str) -> dict[str, object]:
    """Current weather for a city."""
    return {"city": city, "celsius": 21}


def weather_pipeline(observers: Sequence[SessionObserver], **settings: object) -> Pipeline:
    llm = ScriptedLlm(
        [[call("get_weather", '{"city": "Paris"}')], LONG_REPLY, "Sure, go ahead."],
        ttft=0.2,
        token_interval=0.1,
    )
    pipeline = make_pipeline(
        ScriptedStt(["weather in paris", "stop please"], final_delay=0.1),
        llm,
        FakeTts(ttfb=0.1, seconds_per_char=0.05),
        tools=[get_weather],
        min_interruption_duration=0.5,
        **settings,
    )
    pipeline.observers = list(observers)
    pipeline.name = "weather-test"
    return pipeline


async def weather_then_barge_in(call_: Call) -> None:
    await call_.caller.pause(0.3)
    await call_.caller.speak(1.0)
    await call_.caller.pause_until(call_.has(AgentStartedSpeaking))
    await call_.caller.pause(1.5)
    await call_.caller.speak(1.2)
    await call_.caller.pause_until(lambda: len(of_type(call_.events, AgentStoppedSpeaking)) >= 2)
    await call_.caller.pause(0.5)


async def run_weather_call(
    observers: Sequence[SessionObserver], metadata: dict[str, str] | None = None, **settings: object
) -> Call:
    return await converse(weather_pipeline(observers, **settings), weather_then_barge_in, metadata)
