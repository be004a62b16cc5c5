"""The listener and run-live interface styles receive exactly what the event stream implies: a call with a turn,
a barge-in, a recoverable LLM failure and an idle countdown is run once, and the listener's calls and the live
items are compared with what its events say, one by one."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from pipeline.base.compute import inline_compute
from pipeline.observe.events import (
    AgentStartedSpeaking,
    AgentState,
    AgentStateChanged,
    AgentStoppedSpeaking,
    Event,
    UserIdle,
)
from pipeline.session.listener import AgentListener
from pipeline.session.live import LiveItem
from pipeline.settings import IdleSettings, SessionSettings
from providers.errors import ErrorCode, ProviderError
from tests.conversation import Call, Caller, collect_events, make_pipeline, of_type, record_output
from tests.doubles import FakeTts, ScriptedLlm, ScriptedStt

pytestmark = pytest.mark.anyio

LISTENER_METHODS = sorted(
    name for name in vars(AgentListener) if name.startswith("on_") and name != "on_event"
)


class Recorder(AgentListener):
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.seen: list[Event] = []

    async def on_event(self, event: Event) -> None:
        self.seen.append(event)


def _recording(name: str) -> Any:
    async def method(self: Recorder, *args: Any) -> None:
        self.calls.append((name, args))

    return method


for _name in LISTENER_METHODS:
    setattr(Recorder, _name, _recording(_name))


def expected_calls(events: list[Event]) -> list[tuple[str, tuple[Any, ...]]]:
    """What a listener must be told, read off the events (written independently of ``dispatch``)."""
    calls: list[tuple[str, tuple[Any, ...]]] = []
    for e in events:
        data = e.model_dump()
        match e.type:
            case "session_started":
                calls.append(("on_agent_starting", ()))
            case "session_ended":
                calls.append(("on_agent_stopped", (data["reason"], data["error"])))
            case "agent_state_changed":
                calls.append(("on_agent_state_changed", (data["old"], data["new"])))
            case "user_state_changed":
                calls.append(("on_user_state_changed", (data["old"], data["new"])))
            case "user_started_speaking":
                calls.append(("on_user_started_speaking", ()))
            case "user_stopped_speaking":
                calls.append(("on_user_stopped_speaking", (data["speech_duration"],)))
            case "user_transcript":
                calls.append(("on_user_transcript", (data["text"], data["is_final"])))
            case "end_of_user_turn":
                calls.append(("on_user_turn_completed", (data["transcript"],)))
            case "inactivity_countdown":
                calls.append(("on_user_inactivity_countdown", (round(data["seconds_left"]),)))
            case "user_idle":
                calls.append(("on_user_idle", (data["action"],)))
            case "agent_started_speaking":
                calls.append(("on_agent_started_speaking", (data["speech_id"],)))
            case "agent_transcript_delta":
                calls.append(("on_agent_transcript_delta", (data["text"],)))
            case "agent_stopped_speaking":
                calls.append(("on_agent_stopped_speaking", (data["heard_text"], data["interrupted"])))
            case "interruption":
                calls.append(("on_agent_interrupted", (data["speech_id"],)))
            case "error":
                calls.append(("on_agent_error", (data["code"], data["message"], data["recoverable"])))
            case "tool_started":
                calls.append(("on_tool_started", (data["name"], data["arguments"])))
            case "tool_finished":
                calls.append(("on_tool_finished", (data["name"], data["status"], data["result"])))
            case "turn_metrics" | "llm_metrics" | "tts_metrics":
                calls.append(("on_metrics", (e,)))
    return calls


def expected_items(events: list[Event]) -> list[LiveItem]:
    items: list[LiveItem] = []
    for e in events:
        data = e.model_dump()
        turn = e.turn_id
        match e.type:
            case "user_transcript":
                items.append(LiveItem("user", data["text"], partial=not data["is_final"], turn_id=turn))
            case "end_of_user_turn":
                items.append(LiveItem("user", data["transcript"], turn_complete=True, turn_id=turn))
            case "agent_transcript_delta":
                items.append(LiveItem("agent", data["text"], partial=True, turn_id=turn))
            case "interruption":
                items.append(LiveItem("agent", interrupted=True, turn_id=turn))
            case "agent_stopped_speaking":
                items.append(
                    LiveItem(
                        "agent",
                        data["heard_text"],
                        turn_complete=True,
                        interrupted=data["interrupted"],
                        turn_id=turn,
                    )
                )
            case "error":
                items.append(
                    LiveItem(
                        "session",
                        data["message"],
                        error_code=data["code"],
                        recoverable=data["recoverable"],
                        turn_id=turn,
                    )
                )
            case "session_ended":
                items.append(LiveItem("session", data["reason"], turn_complete=True))
    return items


async def script(call_: Call) -> None:
    caller = call_.caller
    await caller.pause(0.3)
    await caller.speak(1.0)  # turn 1: a long reply, barged into
    await caller.pause_until(call_.has(AgentStartedSpeaking))
    await caller.pause(1.0)
    await caller.speak(1.2)  # turn 2: the LLM fails (recoverable)
    await caller.pause(2.0)
    await caller.speak(1.0)  # turn 3: answered
    await caller.pause_until(lambda: len(of_type(call_.events, AgentStoppedSpeaking)) >= 2)
    await caller.pause_until(call_.has(UserIdle))  # then silence: countdown 5, 4, 3, 2, 1 and the goodbye


async def test_listener_and_run_live_receive_exactly_what_the_events_imply() -> None:
    failure = ProviderError("simulated", "server error 500", code=ErrorCode.SERVER_ERROR, recoverable=True)
    llm = ScriptedLlm(
        ["This is a long answer. It goes on and on for quite a while.", failure, "Fine."], token_interval=0.3
    )
    settings = SessionSettings(idle=IdleSettings(timeout=6.0, countdown=5.0, max_reminders=0))
    pipeline = make_pipeline(
        ScriptedStt(["tell me", "stop that", "okay"]),
        llm,
        FakeTts(),
        settings=settings,
        min_interruption_duration=0.5,
    )
    session = pipeline.session()
    recorder = Recorder()
    session.add_listener(recorder)
    assert session.agent_state is AgentState.INITIALIZING
    live = session.run_live()
    subscription = session.events()
    items: list[LiveItem] = []

    async def read_live() -> None:
        async for item in live:
            items.append(item)

    with inline_compute():
        async with session, anyio.create_task_group() as group:
            call_ = Call(session, Caller(session))
            group.start_soon(collect_events, subscription, call_.events)
            group.start_soon(record_output, session.audio_out(), call_.recording)
            group.start_soon(read_live)
            await script(call_)
            await session.end()
    events = call_.events

    kinds = {e.type for e in events}
    assert {"interruption", "error", "inactivity_countdown", "user_idle"} <= kinds  # the call covers them
    first_state = of_type(events, AgentStateChanged)[0]
    assert (first_state.old, first_state.new) == (AgentState.INITIALIZING, AgentState.LISTENING)
    assert [e.event_id for e in recorder.seen] == [e.event_id for e in events]
    assert recorder.calls == expected_calls(events)
    countdown = [args[0] for name, args in recorder.calls if name == "on_user_inactivity_countdown"]
    assert countdown[-5:] == [5, 4, 3, 2, 1]
    assert items == expected_items(events)
    assert items[-1] == LiveItem("session", "idle", turn_complete=True)  # the generator ended by itself
    assert any(item.interrupted and item.turn_complete for item in items)
    assert any(item.error_code == "server_error" and item.recoverable for item in items)
