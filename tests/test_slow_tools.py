"""Long-running tools on virtual time: progress spoken as a filler inside the reply, the runtime's own filler when
a step's tools are slow, and a tool that outlives its reply, whose result is delivered in a later turn."""

from __future__ import annotations

import anyio
import pytest

from pipeline.observe.events import (
    AgentStoppedSpeaking,
    ToolFinished,
    ToolProgress,
    ToolResultDelivered,
    ToolStatus,
)
from pipeline.settings import AgentSettings, SessionSettings
from pipeline.stages.tools import ToolContext, tool
from providers.llm import Role
from tests.conversation import Call, converse, make_pipeline, of_type
from tests.doubles import FakeTts, ScriptedLlm, ScriptedStt, call

pytestmark = pytest.mark.anyio


async def one_turn(call_: Call, replies: int = 1) -> None:
    await call_.caller.pause(0.5)
    await call_.caller.speak(1.0)
    await call_.caller.pause_until(call_.has(AgentStoppedSpeaking, replies))
    await call_.caller.pause(0.5)


def settings(**agent: object) -> SessionSettings:
    return SessionSettings(agent=AgentSettings.model_validate(agent))


async def test_progress_is_spoken_inside_the_reply_and_kept_in_the_context() -> None:
    @tool
    async def find_order(order_id: str, ctx: ToolContext) -> str:
        """Find an order."""
        await anyio.sleep(0.5)
        ctx.progress("Still looking it up.")
        await anyio.sleep(1.0)
        ctx.progress("almost there", speak=False)
        return "shipped"

    llm = ScriptedLlm([["Let me check.", call("find_order", '{"order_id": "7"}')], "It has shipped."])
    tts = FakeTts()
    pipeline = make_pipeline(ScriptedStt(["where is order seven"]), llm, tts, tools=[find_order])

    done = await converse(pipeline, one_turn)

    spoken, silent = of_type(done.events, ToolProgress)
    assert (spoken.message, spoken.spoken, spoken.name) == ("Still looking it up.", True, "find_order")
    assert (silent.message, silent.spoken) == ("almost there", False)
    assert tts.texts == ["Let me check.", "Still looking it up.", "It has shipped."]
    (stopped,) = of_type(done.events, AgentStoppedSpeaking)
    assert stopped.heard_text == "Let me check. Still looking it up. It has shipped."
    first = next(m for m in done.session.context.messages if m.role is Role.ASSISTANT)
    assert first.content == "Let me check. Still looking it up." and first.tool_calls
    assert not of_type(done.events, ToolProgress)[0].filler


@pytest.mark.parametrize(("seconds", "filler_expected"), [(4.0, True), (1.0, False)])
async def test_a_slow_tool_gets_the_built_in_filler(seconds: float, filler_expected: bool) -> None:
    @tool
    async def slow_lookup() -> str:
        """Look something up slowly."""
        await anyio.sleep(seconds)
        return "42"

    llm = ScriptedLlm([[call("slow_lookup", "{}")], "The answer is 42."])
    tts = FakeTts()
    pipeline = make_pipeline(
        ScriptedStt(["what is the answer"]),
        llm,
        tts,
        tools=[slow_lookup],
        settings=settings(filler_after=3.0, fillers=["Bear with me."]),
    )

    done = await converse(pipeline, one_turn)

    fillers = [e for e in of_type(done.events, ToolProgress) if e.filler]
    if filler_expected:
        (filler,) = fillers
        assert filler.spoken and filler.message == "Bear with me."
        assert tts.texts == ["Bear with me.", "The answer is 42."]
        started = of_type(done.events, ToolFinished)[0].timestamp - seconds
        assert filler.timestamp == pytest.approx(started + 3.0)
    else:
        assert not fillers and tts.texts == ["The answer is 42."]


async def test_a_tool_that_already_spoke_gets_no_filler() -> None:
    @tool
    async def slow_lookup(ctx: ToolContext) -> str:
        """Look something up slowly."""
        ctx.progress("Checking the archive.")
        await anyio.sleep(4.0)
        return "42"

    llm = ScriptedLlm([[call("slow_lookup", "{}")], "It is 42."])
    tts = FakeTts()
    pipeline = make_pipeline(
        ScriptedStt(["what is the answer"]),
        llm,
        tts,
        tools=[slow_lookup],
        settings=settings(filler_after=3.0),
    )
    done = await converse(pipeline, one_turn)
    assert [e.filler for e in of_type(done.events, ToolProgress)] == [False]
    assert tts.texts == ["Checking the archive.", "It is 42."]


async def test_a_tool_finishing_after_its_reply_is_delivered_in_a_later_turn() -> None:
    @tool(background_after=1.0, timeout=30.0)
    async def book_table(time: str) -> str:
        """Book a table (the restaurant takes a while to confirm)."""
        await anyio.sleep(6.0)
        return f"booked for {time}"

    llm = ScriptedLlm(
        [
            ["One moment.", call("book_table", '{"time": "7pm"}', "c1")],
            "I will tell you as soon as it is confirmed.",
            "Good news: your table is booked for 7pm.",
        ]
    )
    pipeline = make_pipeline(ScriptedStt(["book a table"]), llm, FakeTts(), tools=[book_table])

    done = await converse(pipeline, lambda c: one_turn(c, replies=2))

    handed_over, finished = of_type(done.events, ToolFinished)
    assert handed_over.status is ToolStatus.BACKGROUND and handed_over.call_id == "c1"
    assert finished.status is ToolStatus.OK and finished.result == "booked for 7pm"
    first_reply, second_reply = of_type(done.events, AgentStoppedSpeaking)
    assert first_reply.heard_text == "One moment. I will tell you as soon as it is confirmed."
    assert finished.timestamp > first_reply.timestamp  # it finished after its reply ended
    (delivered,) = of_type(done.events, ToolResultDelivered)
    assert delivered.reply_started and delivered.call_id == "c1"
    assert second_reply.heard_text == "Good news: your table is booked for 7pm."
    # The third LLM request (the unprompted reply) saw the result as a note.
    notes = [m.content for m in llm.requests[2].messages if m.role is Role.SYSTEM]
    assert any("booked for 7pm" in note for note in notes)
    tool_messages = [m.content for m in done.session.context.messages if m.role is Role.TOOL]
    assert tool_messages and "still running" in tool_messages[0]
