"""Conversation control beyond single turns: the greeting, late tool results and hand-off summaries."""

from __future__ import annotations

from contextlib import aclosing

import anyio

from pipeline.floor.controller import InterruptionController
from pipeline.observe.bus import EventBus
from pipeline.observe.events import ToolResultDelivered
from pipeline.settings import AgentSettings
from pipeline.stages.context import ChatContext
from pipeline.stages.tools import ToolResult
from providers.llm import LLM, ChatMessage, LlmRequest, Role, TextDelta

SUMMARY_PROMPT = (
    "Summarize the conversation so far for a colleague who takes over the call: who the caller is, what they "
    "want, what has been done and what is still open. Three sentences at most."
)


async def greet(floor: InterruptionController, agent: AgentSettings) -> None:
    """``speaks_first: agent`` greets at once; ``user`` waits ``wait_for_user`` for the caller, then greets."""
    if agent.speaks_first == "user":
        if agent.wait_for_user is None:
            return
        with anyio.move_on_after(agent.wait_for_user):
            await floor.caller_spoke.wait()
        if floor.caller_spoke.is_set():
            return
    if agent.greeting:
        floor.say(agent.greeting, allow_interruption=agent.greeting_interruptible)
    else:
        floor.start_reply()


async def deliver_late_result(
    floor: InterruptionController,
    context: ChatContext,
    bus: EventBus,
    result: ToolResult,
    *,
    wait_limit: float = 30.0,
    poll: float = 0.1,
) -> None:
    """A tool finished after its reply went on: its result joins the context at once (so the next reply knows
    it), and once the line is quiet — if no reply has been written since — the agent replies to deliver it."""
    note = f"The {result.call.name} call ({result.call.id}) has finished ({result.status.value}): {result.content}"
    context.add_note(note)
    with anyio.move_on_after(wait_limit):
        while not floor.is_quiet():
            await anyio.sleep(poll)
    last = context.messages[-1] if context.messages else None
    reply = floor.is_quiet() and last is not None and last.role is Role.SYSTEM and last.content == note
    if reply:
        floor.start_reply()
    bus.emit(
        ToolResultDelivered,
        turn_id=floor.turn_id or None,
        call_id=result.call.id,
        name=result.call.name,
        reply_started=reply,
    )


async def summarize_into_context(context: ChatContext, llm: LLM) -> None:
    """Replace the history with a summary written by ``llm`` (one non-streamed call)."""
    request = LlmRequest(messages=(*context.for_llm(), ChatMessage(Role.USER, SUMMARY_PROMPT)))
    parts: list[str] = []
    async with aclosing(llm.stream(request)) as chunks:
        async for chunk in chunks:
            if isinstance(chunk, TextDelta):
                parts.append(chunk.text)
    summary = "".join(parts).strip()
    context.replace_history([ChatMessage(Role.SYSTEM, f"Summary of the call so far: {summary}")])
