"""Runs one LLM step's tool calls in parallel, with the interruption rules:

* a call that has not started when its reply is cancelled never starts;
* a call in flight finishes and is recorded — unless its tool is marked ``cancellable``, then it is cancelled and
  recorded as such. Nothing is ever left "in progress".
"""

from __future__ import annotations

from typing import Protocol

import anyio
import anyio.lowlevel

from pipeline.observe.bus import EventBus
from pipeline.observe.events import ToolFinished, ToolStarted, ToolStatus
from pipeline.stages.speech import ReplyStep, Speech
from pipeline.stages.tools import (
    ToolContext,
    ToolRegistry,
    ToolResult,
    arguments_preview,
    unknown_tool_result,
)
from providers.llm import ToolCall

CANCELLED_MESSAGE = "cancelled: the caller interrupted before it finished"


class IdleWait(Protocol):
    def extend(self, seconds: float) -> None:
        """Hold idle reminders off for ``seconds``."""
        ...


class SpeechToolContext(ToolContext):
    """The ``ToolContext`` of the tools one reply calls."""

    def __init__(self, speech: Speech, idle: IdleWait) -> None:
        self._speech = speech
        self._idle = idle

    def end_call_after_reply(self, goodbye: str | None = None) -> None:
        """The call ends only if this reply is then spoken to the end: an interrupted reply's request is void."""
        self._speech.end_call_requested = True
        self._speech.end_call_goodbye = goodbye

    def extend_wait(self, seconds: float) -> None:
        self._idle.extend(seconds)


class ToolRunner:
    def __init__(self, tools: ToolRegistry, bus: EventBus, idle: IdleWait) -> None:
        self._tools = tools
        self._bus = bus
        self._idle = idle

    async def run(self, calls: list[ToolCall], step: ReplyStep, speech: Speech) -> None:
        """Run ``calls`` concurrently, recording each started call and its result in ``step`` as it happens."""
        context = SpeechToolContext(speech, self._idle)
        async with anyio.create_task_group() as group:
            for call in calls:
                group.start_soon(self._run_one, call, step, speech.turn_id, context)

    async def _run_one(self, call: ToolCall, step: ReplyStep, turn_id: int, context: ToolContext) -> None:
        await anyio.lowlevel.checkpoint()  # raises here, before anything starts, if the reply was cancelled
        step.calls.append(call)
        self._bus.emit(
            ToolStarted, turn_id=turn_id, call_id=call.id, name=call.name, arguments=arguments_preview(call)
        )
        tool = self._tools.get(call.name)
        started = anyio.current_time()
        if tool is None:
            result = unknown_tool_result(call)
        elif tool.cancellable:
            try:
                result = await tool.invoke(call, context)
            except anyio.get_cancelled_exc_class():
                elapsed = anyio.current_time() - started
                self._record(
                    step, ToolResult(call, ToolStatus.CANCELLED, CANCELLED_MESSAGE, elapsed), turn_id
                )
                raise
        else:
            with anyio.CancelScope(shield=True):
                result = await tool.invoke(call, context)
        self._record(step, result, turn_id)

    def _record(self, step: ReplyStep, result: ToolResult, turn_id: int) -> None:
        step.results.append(result)
        self._bus.emit(
            ToolFinished,
            turn_id=turn_id,
            call_id=result.call.id,
            name=result.call.name,
            status=result.status,
            result=result.content[:2000],
            duration=result.duration,
        )
