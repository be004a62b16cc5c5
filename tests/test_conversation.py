"""Whole conversations on virtual time with scripted providers: what the caller hears, when, and what the agent
remembers."""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest

from pipeline.observe.events import (
    AgentStartedSpeaking,
    AgentStoppedSpeaking,
    EndOfUserTurn,
    ErrorEvent,
    Interruption,
    SessionEnded,
    ToolFinished,
    ToolStarted,
    ToolStatus,
    TurnMetrics,
    UserStoppedSpeaking,
    UserTranscript,
)
from pipeline.stages.tools import tool
from providers.errors import ErrorCode, ProviderError
from providers.llm import Role
from providers.tts import TtsAudio
from tests.conversation import Call, converse, expected_heard, lifecycle, make_pipeline, of_type
from tests.doubles import FailingStt, FakeTts, ScriptedLlm, ScriptedStt, call

pytestmark = pytest.mark.anyio

WINDOW = 512 / 16000
VAD_STOP_DELAY = math.ceil(0.15 / WINDOW) * WINDOW  # energy VAD confirms silence after whole windows
FRAME = 0.02


async def one_turn(call_: Call) -> None:
    await call_.caller.pause(0.5)
    await call_.caller.speak(1.0)
    await call_.caller.pause_until(call_.has(AgentStoppedSpeaking))
    await call_.caller.pause(0.5)


async def test_one_turn_story_and_exact_latency() -> None:
    llm = ScriptedLlm(["Hi! How can I help?"], ttft=0.2, token_interval=0.02)
    tts = FakeTts(ttfb=0.1)
    pipeline = make_pipeline(ScriptedStt(["hello there"], final_delay=0.1), llm, tts, endpointing_delay=0.5)

    done = await converse(pipeline, one_turn)

    assert lifecycle(done.events) == [
        "session_started",
        "user_started_speaking",
        "user_stopped_speaking",
        "end_of_user_turn",
        "agent_started_speaking",
        "agent_stopped_speaking",
        "session_ended",
    ]
    (metrics,) = of_type(done.events, TurnMetrics)
    # silence 0.5 s; LLM first token 0.2 s; "Hi!" is complete when the next token arrives (0.02 s); TTS 0.1 s.
    assert metrics.endpointing == pytest.approx(0.5)
    assert metrics.stt_wait == pytest.approx(0.0)
    assert metrics.llm_ttft == pytest.approx(0.2)
    assert metrics.llm_first_sentence == pytest.approx(0.02)
    assert metrics.tts_ttfb == pytest.approx(0.1)
    assert metrics.overhead == pytest.approx(0.0, abs=1e-9)
    assert metrics.voice_to_voice == pytest.approx(0.82)
    assert tts.texts == ["Hi!", "How can I help?"]  # TTS started on the first sentence
    (stopped,) = of_type(done.events, AgentStoppedSpeaking)
    assert not stopped.interrupted and stopped.heard_text == "Hi! How can I help?"
    assert done.recording.seconds == pytest.approx(len("Hi!How can I help?") * 0.05)
    assert [(m.role, m.content) for m in done.session.context.messages] == [
        (Role.USER, "hello there"),
        (Role.ASSISTANT, "Hi! How can I help?"),
    ]


async def test_slow_final_transcript_is_waited_for_and_measured() -> None:
    pipeline = make_pipeline(
        ScriptedStt(["hello"], final_delay=0.7), ScriptedLlm(["Hi."]), FakeTts(), endpointing_delay=0.5
    )
    done = await converse(pipeline, one_turn)
    (metrics,) = of_type(done.events, TurnMetrics)
    (stopped,) = of_type(done.events, UserStoppedSpeaking)
    final = next(e for e in of_type(done.events, UserTranscript) if e.is_final)
    (turn,) = of_type(done.events, EndOfUserTurn)
    # Finalize goes out when the VAD confirms silence; the final comes 0.7 s later, after the 0.5 s of silence,
    # and the turn is decided the moment it arrives: that extra wait is stt_wait.
    assert final.timestamp == pytest.approx(stopped.timestamp + 0.7)
    assert turn.timestamp == pytest.approx(final.timestamp)
    assert metrics.endpointing == pytest.approx(0.5) and metrics.stt_wait > 0.2
    parts = metrics.endpointing + metrics.stt_wait + metrics.llm_ttft + metrics.llm_first_sentence
    parts += metrics.tts_ttfb + metrics.overhead + metrics.tool_time
    assert parts == pytest.approx(metrics.voice_to_voice)


LONG_REPLY = "This is a long answer. It goes on for a while. Nobody wants to hear all of it. The end."


async def barge_in_after(call_: Call, seconds_of_agent_speech: float) -> None:
    await call_.caller.pause(0.3)
    await call_.caller.speak(1.0)
    await call_.caller.pause_until(call_.has(AgentStartedSpeaking))
    await call_.caller.pause(seconds_of_agent_speech)
    await call_.caller.speak(1.2)
    await call_.caller.pause_until(lambda: len(of_type(call_.events, AgentStoppedSpeaking)) >= 2)
    await call_.caller.pause(0.5)


async def test_barge_in_stops_audio_within_a_frame_and_keeps_only_heard_words() -> None:
    llm = ScriptedLlm([LONG_REPLY, "Sure, go ahead."], token_interval=0.3)  # still streaming at barge-in
    tts = FakeTts(seconds_per_char=0.05)
    pipeline = make_pipeline(
        ScriptedStt(["tell me something", "stop please"]), llm, tts, min_interruption_duration=0.5
    )

    done = await converse(pipeline, lambda c: barge_in_after(c, 1.5))

    (interruption,) = of_type(done.events, Interruption)
    first_reply = of_type(done.events, AgentStoppedSpeaking)[0]
    assert first_reply.interrupted
    # No agent audio left the pipeline after the decision, beyond the frame already on its way.
    frames_after = done.recording.between(interruption.timestamp + 1e-9, interruption.timestamp + 3.0)
    second_start = of_type(done.events, AgentStartedSpeaking)[1].timestamp
    assert all(frame.timestamp >= second_start for frame in frames_after)
    assert done.recording.between(interruption.timestamp - FRAME, interruption.timestamp + 1e-9)
    # What the caller heard is exactly what the context keeps, marked interrupted.
    heard = expected_heard(tts.texts[:2], first_reply.played_seconds, 0.05)
    assert heard and first_reply.heard_text == heard
    assert LONG_REPLY.startswith(heard) and heard != LONG_REPLY
    assistant = [m for m in done.session.context.messages if m.role is Role.ASSISTANT]
    assert assistant[0].content == heard and assistant[0].interrupted
    assert llm.closed_early == 1  # the in-flight LLM stream was closed
    assert [m.content for m in done.session.context.messages if m.role is Role.USER] == [
        "tell me something",
        "stop please",
    ]


async def test_tool_calls_of_a_cancelled_reply_never_start() -> None:
    ran: list[str] = []

    @tool
    def lookup_order(order_id: str) -> str:
        """Look up an order."""
        ran.append(order_id)
        return "shipped"

    # The LLM announces, then streams a tool call, then keeps streaming slowly: the caller barges in first.
    slow_step = ["Let me check.", call("lookup_order", '{"order_id": "42"}'), *[" ..."] * 40]
    llm = ScriptedLlm([slow_step, "Okay."], token_interval=0.2)
    pipeline = make_pipeline(
        ScriptedStt(["where is my order", "never mind"]), llm, FakeTts(), tools=[lookup_order]
    )

    done = await converse(pipeline, lambda c: barge_in_after(c, 0.3))

    assert of_type(done.events, Interruption)
    assert ran == []
    assert not of_type(done.events, ToolStarted)
    assert llm.closed_early == 1
    assert not any(m.tool_calls for m in done.session.context.messages)


async def test_in_flight_tools_finish_or_cancel_and_are_recorded() -> None:
    finished: list[str] = []

    @tool
    async def book_table(time: str) -> str:
        """Book a table (must not be abandoned half-way)."""
        await anyio.sleep(2.0)
        finished.append(time)
        return "booked"

    @tool(cancellable=True)
    async def search_menu(query: str) -> str:
        """Search the menu (safe to abandon)."""
        await anyio.sleep(2.0)
        finished.append(query)
        return "pasta"

    step = [
        "One moment.",
        call("book_table", '{"time": "7pm"}', "c1"),
        call("search_menu", '{"query": "x"}', "c2"),
    ]
    llm = ScriptedLlm([step, "Done.", "Okay."])
    pipeline = make_pipeline(
        ScriptedStt(["book it", "wait"]), llm, FakeTts(), tools=[book_table, search_menu]
    )

    done = await converse(pipeline, lambda c: barge_in_after(c, 0.2))

    statuses = {event.name: event.status for event in of_type(done.events, ToolFinished)}
    assert statuses == {"book_table": ToolStatus.OK, "search_menu": ToolStatus.CANCELLED}
    assert finished == ["7pm"]
    messages = done.session.context.messages
    calls = next(m for m in messages if m.tool_calls)
    assert {c.name for c in calls.tool_calls} == {"book_table", "search_menu"}
    results = {m.tool_call_id: m.content for m in messages if m.role is Role.TOOL}
    assert results["c1"] == "booked" and results["c2"].startswith("cancelled")


async def test_tool_results_feed_the_next_llm_step() -> None:
    @tool
    def get_weather(city: str) -> dict[str, object]:
        """Current weather for a city."""
        return {"city": city, "celsius": 21}

    llm = ScriptedLlm([[call("get_weather", '{"city": "Paris"}')], "It is 21 degrees in Paris."])
    pipeline = make_pipeline(ScriptedStt(["weather in paris"]), llm, FakeTts(), tools=[get_weather])

    done = await converse(pipeline, one_turn)

    second_request = llm.requests[1]
    tool_message = second_request.messages[-1]
    assert tool_message.role is Role.TOOL and tool_message.content == '{"city":"Paris","celsius":21}'
    assert of_type(done.events, AgentStoppedSpeaking)[0].text == "It is 21 degrees in Paris."
    (metrics,) = of_type(done.events, TurnMetrics)
    assert metrics.llm_ttft == pytest.approx(0.4)  # two LLM rounds of 0.2 s; the tool itself took no time


async def test_failing_event_handler_is_isolated() -> None:
    pipeline = make_pipeline(ScriptedStt(["hi"]), ScriptedLlm(["Hello."]), FakeTts())
    seen: list[str] = []

    async def script(call_: Call) -> None:
        @call_.session.on
        async def broken(event: AgentStartedSpeaking) -> None:
            raise RuntimeError("handler bug")

        @call_.session.on
        async def fine(event: AgentStartedSpeaking | AgentStoppedSpeaking) -> None:
            seen.append(event.type)

        await one_turn(call_)

    done = await converse(pipeline, script)
    errors = of_type(done.events, ErrorEvent)
    assert [(e.code, e.recoverable) for e in errors] == [("handler_failed", True)]
    assert "handler bug" in errors[0].message
    assert seen == ["agent_started_speaking", "agent_stopped_speaking"]
    assert of_type(done.events, SessionEnded)[0].reason == "ended"


async def test_say_speaks_fixed_text_and_end_drains_it() -> None:
    tts = FakeTts()
    pipeline = make_pipeline(ScriptedStt([]), ScriptedLlm([]), tts)

    async def script(call_: Call) -> None:
        call_.session.say("Welcome to Parley. How can I help?")

    done = await converse(pipeline, script)
    assert tts.texts == ["Welcome to Parley.", "How can I help?"]
    (stopped,) = of_type(done.events, AgentStoppedSpeaking)
    assert stopped.source.value == "say" and not stopped.interrupted
    # All of it, in whole 20 ms frames (the last one padded with silence).
    spoken = len("Welcome to Parley.How can I help?") * 0.05
    assert done.recording.seconds == pytest.approx(math.ceil(spoken / FRAME - 1e-9) * FRAME)


async def test_llm_failure_is_reported_and_the_next_turn_works() -> None:
    failure = ProviderError("scripted-llm", "server error 500", code=ErrorCode.SERVER_ERROR, recoverable=True)
    llm = ScriptedLlm([failure, "Second try works."])
    pipeline = make_pipeline(ScriptedStt(["first", "second"]), llm, FakeTts())

    async def script(call_: Call) -> None:
        await call_.caller.pause(0.3)
        await call_.caller.speak(0.8)
        await call_.caller.pause_until(call_.has(ErrorEvent))
        await call_.caller.pause(0.5)
        await one_turn(call_)

    done = await converse(pipeline, script)
    (error,) = of_type(done.events, ErrorEvent)
    assert (error.source, error.code, error.recoverable) == ("scripted-llm", "server_error", True)
    assert [e.text for e in of_type(done.events, AgentStoppedSpeaking)] == ["Second try works."]
    assert of_type(done.events, SessionEnded)[0].reason == "ended"


async def test_unrecoverable_llm_failure_ends_the_session_cleanly() -> None:
    failure = ProviderError("scripted-llm", "invalid API key", code=ErrorCode.AUTH_FAILED, recoverable=False)
    pipeline = make_pipeline(ScriptedStt(["hi"]), ScriptedLlm([failure]), FakeTts())

    async def script(call_: Call) -> None:
        await call_.caller.pause(0.3)
        await call_.caller.speak(0.8)
        await call_.caller.pause_until(call_.has(SessionEnded))

    done = await converse(pipeline, script)
    ended = of_type(done.events, SessionEnded)[0]
    assert ended.reason == "error" and "invalid API key" in (ended.error or "")
    assert lifecycle(done.events)[-2:] == ["error", "session_ended"]


async def test_stt_that_cannot_connect_ends_the_session_with_the_reason() -> None:
    stt = FailingStt(
        ProviderError(
            "failing-stt",
            "401 Unauthorized: set DEEPGRAM_API_KEY",
            code=ErrorCode.AUTH_FAILED,
            recoverable=False,
        )
    )
    pipeline = make_pipeline(stt, ScriptedLlm([]), FakeTts())  # type: ignore[arg-type]

    async def script(call_: Call) -> None:
        await call_.caller.pause_until(call_.has(SessionEnded), limit=5)

    done = await converse(pipeline, script)
    assert stt.attempts == 1
    errors = of_type(done.events, ErrorEvent)
    assert [(e.code, e.recoverable) for e in errors] == [("auth_failed", False)]
    assert of_type(done.events, SessionEnded)[0].reason == "error"


async def test_stt_drop_is_retried_then_reported() -> None:
    stt = FailingStt(ProviderError("failing-stt", "connection lost", code=ErrorCode.CONNECTION_LOST))
    pipeline = make_pipeline(stt, ScriptedLlm([]), FakeTts())  # type: ignore[arg-type]

    async def script(call_: Call) -> None:
        await call_.caller.pause_until(call_.has(SessionEnded), limit=10)

    done = await converse(pipeline, script)
    errors = of_type(done.events, ErrorEvent)
    assert stt.attempts == 4  # the first try and three reopenings with backoff
    assert [e.recoverable for e in errors] == [True, True, True, False]
    assert of_type(done.events, SessionEnded)[0].reason == "error"


class InterruptedBetweenChunks:
    """A TTS whose stream has the agent interrupted right before it hands over its ``after``-th audio chunk, as
    another task (the caller's barge-in) can do while the reply's producer is runnable but not yet running: the
    producer then goes on to queue that chunk into the audio that the interruption has just closed."""

    def __init__(self, inner: FakeTts, after: int) -> None:
        self.inner = inner
        self.after = after
        self.sample_rate, self.provider, self.model = inner.sample_rate, inner.provider, inner.model
        self.session: Any = None

    @asynccontextmanager
    async def stream(self) -> AsyncIterator[Any]:
        async with self.inner.stream() as stream:
            yield _InterruptingStream(stream, self)


class _InterruptingStream:
    def __init__(self, stream: Any, tts: InterruptedBetweenChunks) -> None:
        self._stream = stream
        self._tts = tts
        self.push_text, self.end_input = stream.push_text, stream.end_input

    async def outputs(self) -> AsyncGenerator[Any, None]:
        chunks = 0
        async for output in self._stream.outputs():
            if isinstance(output, TtsAudio):
                chunks += 1
                if chunks == self._tts.after:
                    self._tts.session.interrupt()  # no checkpoint between this and the producer's send
            yield output


async def test_an_interruption_landing_between_two_audio_chunks_is_not_an_error() -> None:
    tts = InterruptedBetweenChunks(FakeTts(seconds_per_char=0.05), after=13)  # in the second sentence
    pipeline = make_pipeline(
        ScriptedStt(["tell me a story", "thanks"]), ScriptedLlm([LONG_REPLY, "Sure."]), tts
    )

    async def script(call_: Call) -> None:
        tts.session = call_.session
        await call_.caller.pause(0.3)
        await call_.caller.speak(1.0)
        await call_.caller.pause_until(lambda: len(of_type(call_.events, AgentStoppedSpeaking)) >= 1)
        tts.after = 0  # the second reply plays out
        await call_.caller.speak(1.0)
        await call_.caller.pause_until(lambda: len(of_type(call_.events, AgentStoppedSpeaking)) >= 2)

    done = await converse(pipeline, script)
    assert of_type(done.events, ErrorEvent) == []
    first, second = of_type(done.events, AgentStoppedSpeaking)
    assert first.interrupted and LONG_REPLY.startswith(first.heard_text)
    assert not second.interrupted and second.heard_text == "Sure."
