"""Runs one LLM step's tool calls in parallel, with the interruption rules:

* a call that has not started when its reply is cancelled never starts;
* a call in flight finishes and is recorded — unless its tool is marked ``cancellable``, then it is cancelled and
  recorded as such. Nothing is ever left "in progress".

And the rules for slow tools:

* a tool may report progress (``ctx.progress``): an event, and a filler spoken in the reply while it is written;
* when the step's calls run longer than the filler threshold and none has spoken, the runtime speaks a filler;
* a tool with ``background_after`` still running after that long hands the LLM a "result will follow" answer;
  it runs on (outside the reply, so a barge-in does not stop it) and its result is delivered later.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import anyio
import anyio.from_thread
import anyio.lowlevel
from anyio.abc import TaskGroup

from pipeline.observe.bus import EventBus
from pipeline.observe.events import ToolFinished, ToolProgress, ToolStarted, ToolStatus
from pipeline.stages.collect_dialog import Collector, CollectorDialog
from pipeline.stages.speech import AfterDone, ReplyStep, Speech
from pipeline.stages.tools import (
    Tool,
    ToolContext,
    ToolRegistry,
    ToolResult,
    arguments_preview,
    unknown_tool_result,
)
from providers.llm import ToolCall

CANCELLED_MESSAGE = "cancelled: the caller interrupted before it finished"
Speak = Callable[[str], bool]  # say a filler in the reply being written; False when it can no longer speak
LateResult = Callable[[ToolResult], None]
SwitchAgent = Callable[[str], None]  # hand the call to the named agent


def background_message(name: str) -> str:
    return (
        f"{name} is still running; its result will be given to you when it is ready. Tell the caller you will "
        "come back to it, and go on."
    )


class IdleWait(Protocol):
    def extend(self, seconds: float) -> None:
        """Hold idle reminders off for ``seconds``."""
        ...


@dataclass(frozen=True)
class FillerPolicy:
    """Speak ``texts`` (in turn) when a step's tool calls run longer than ``after`` seconds."""

    after: float | None
    texts: tuple[str, ...]


class _StepVoice:
    """What the tools of one step say: progress fillers, and whether anything was said yet."""

    def __init__(self, speak: Speak | None) -> None:
        self._speak = speak
        self.spoke = False

    def say(self, text: str) -> bool:
        if self._speak is None or not self._speak(text):
            return False
        self.spoke = True
        return True


class SpeechToolContext(ToolContext):
    """The ``ToolContext`` of one tool call of a reply."""

    def __init__(
        self,
        speech: Speech,
        idle: IdleWait,
        bus: EventBus,
        call: ToolCall,
        voice: _StepVoice,
        switch_agent: SwitchAgent | None = None,
    ) -> None:
        self._speech = speech
        self._idle = idle
        self._bus = bus
        self._call = call
        self._voice = voice
        self._switch_agent = switch_agent

    def hand_off(self, agent: str) -> None:
        if self._switch_agent is None:
            raise RuntimeError("this session has no named agents to hand off to")
        switch = self._switch_agent
        self._speech.after_done.append(AfterDone(f"transfer to {agent}", lambda: switch(agent)))

    def collect(self, collector: Collector) -> None:
        self._speech.pending_dialog = CollectorDialog(collector, self._call)

    def end_call_after_reply(self, goodbye: str | None = None) -> None:
        """The call ends only if this reply is then spoken to the end: an interrupted reply's request is void."""
        self._speech.end_call_requested = True
        self._speech.end_call_goodbye = goodbye

    def extend_wait(self, seconds: float) -> None:
        self._idle.extend(seconds)

    def progress(self, message: str, *, speak: bool = True) -> None:
        try:
            anyio.from_thread.run_sync(self._progress, message, speak)
        except RuntimeError:  # already on the event loop (an async tool)
            self._progress(message, speak)

    def _progress(self, message: str, speak: bool) -> None:
        spoken = speak and not self._speech.state.is_final and self._voice.say(message)
        self._bus.emit(
            ToolProgress,
            turn_id=self._speech.turn_id,
            call_id=self._call.id,
            name=self._call.name,
            message=message,
            spoken=spoken,
        )


class ToolRunner:
    def __init__(
        self,
        tools: ToolRegistry,
        bus: EventBus,
        idle: IdleWait,
        *,
        background: TaskGroup | None = None,
        late_result: LateResult | None = None,
        switch_agent: SwitchAgent | None = None,
    ) -> None:
        self._tools = tools
        self._switch_agent = switch_agent
        self._bus = bus
        self._idle = idle
        self._background = background  # where calls that outlive their reply run
        self._late_result = late_result
        self._filler_turn = itertools.count()

    async def run(
        self,
        calls: list[ToolCall],
        step: ReplyStep,
        speech: Speech,
        *,
        speak: Speak | None = None,
        filler: FillerPolicy | None = None,
    ) -> None:
        """Run ``calls`` concurrently, recording each started call and its result in ``step`` as it happens."""
        voice = _StepVoice(speak)
        async with anyio.create_task_group() as watcher:
            if filler is not None and filler.after is not None and filler.texts and speak is not None:
                watcher.start_soon(self._filler, filler, voice, speech.turn_id)
            async with anyio.create_task_group() as group:
                for call in calls:
                    context = SpeechToolContext(
                        speech, self._idle, self._bus, call, voice, self._switch_agent
                    )
                    group.start_soon(self._run_one, call, step, speech.turn_id, context)
            watcher.cancel_scope.cancel()

    async def _filler(self, policy: FillerPolicy, voice: _StepVoice, turn_id: int) -> None:
        assert policy.after is not None
        await anyio.sleep(policy.after)
        if voice.spoke:
            return  # a tool already told the caller what is going on
        text = policy.texts[next(self._filler_turn) % len(policy.texts)]
        spoken = voice.say(text)
        self._bus.emit(
            ToolProgress, turn_id=turn_id, call_id=None, name="", message=text, spoken=spoken, filler=True
        )

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
        elif tool.background_after is not None and self._background is not None:
            result = await self._run_or_hand_over(tool, tool.background_after, call, turn_id, context)
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

    async def _run_or_hand_over(
        self, tool: Tool, after: float, call: ToolCall, turn_id: int, context: ToolContext
    ) -> ToolResult:
        """The call's result if it comes within ``after`` seconds; else a "result will follow" answer, and the
        call runs on in the background (also when the reply is cancelled meanwhile)."""
        assert self._background is not None
        finished: list[ToolResult] = []
        done = anyio.Event()
        handed_over = False

        async def work() -> None:
            result = await tool.invoke(call, context)
            finished.append(result)
            done.set()
            if handed_over:
                self._finished(result, turn_id)
                if self._late_result is not None:
                    self._late_result(result)

        self._background.start_soon(work)
        try:
            with anyio.move_on_after(after):
                await done.wait()
        finally:
            handed_over = not finished
        if finished:
            return finished[0]
        return ToolResult(call, ToolStatus.BACKGROUND, background_message(call.name), after)

    def _record(self, step: ReplyStep, result: ToolResult, turn_id: int) -> None:
        step.results.append(result)
        self._finished(result, turn_id)

    def _finished(self, result: ToolResult, turn_id: int) -> None:
        self._bus.emit(
            ToolFinished,
            turn_id=turn_id,
            call_id=result.call.id,
            name=result.call.name,
            status=result.status,
            result=result.content[:2000],
            duration=result.duration,
        )
