"""Conversation control beyond single turns: the greeting and hand-off summaries."""

from __future__ import annotations

from contextlib import aclosing

import anyio

from pipeline.floor.controller import InterruptionController
from pipeline.settings import AgentSettings
from pipeline.stages.context import ChatContext
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
