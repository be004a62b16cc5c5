"""Conversation control beyond single turns: the greeting, mid-session updates, and hand-offs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

import anyio

from pipeline.observe.events import AgentState, UserState
from pipeline.settings import TurnSettings
from pipeline.stages.context import ChatContext
from pipeline.stages.tools import Tool
from pipeline.stages.turn_setup import RecentAudio, barge_in_policy, delay_policy
from providers.llm import LLM, ChatMessage, LlmRequest, Role, TextDelta

if TYPE_CHECKING:
    from pipeline.session.session import Session

SUMMARY_PROMPT = (
    "Summarize the conversation so far for a colleague who takes over the call: who the caller is, what they "
    "want, what has been done and what is still open. Three sentences at most."
)


async def greet(session: Session, caller_spoke: anyio.Event) -> None:
    """``speaks_first: agent`` greets at once; ``user`` waits ``wait_for_user`` for the caller, then greets."""
    agent = session.settings.agent
    if agent.speaks_first == "user":
        if agent.wait_for_user is None:
            return
        with anyio.move_on_after(agent.wait_for_user):
            await caller_spoke.wait()
        if caller_spoke.is_set():
            return
    if agent.greeting:
        session.say(agent.greeting, allow_interruption=agent.greeting_interruptible)
    else:
        session.generate_reply()


def apply_turn_settings(session: Session, turn: TurnSettings, recent_audio: RecentAudio) -> None:
    """New turn-taking settings, effective from the next decision."""
    session.settings = session.settings.model_copy(update={"turn": turn})
    if turn.audio_model_path is not None:
        recent_audio.enable()  # an audio model set mid-session hears the caller from now on
    session.turn_detector.policy = delay_policy(turn, recent_audio.for_audio_model)
    session.turn_detector.stt_timeout = turn.stt_timeout
    overlap = session.controller.overlap
    overlap.policy = barge_in_policy(turn)
    overlap.false_interruption_timeout = turn.false_interruption_timeout


def replace_tools(
    session: Session, tools: Iterable[Tool | Callable[..., Any]], builtin: Iterable[Tool]
) -> None:
    for name in [schema.name for schema in session.tools.schemas]:
        session.tools.remove(name)
    for item in [*builtin, *tools]:
        session.tools.add(item)


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


def line_is_quiet(session: Session) -> bool:
    """Nobody is talking and nothing is pending: what the idle timeout counts."""
    controller = session.controller
    return (
        session.running
        and controller.agent_state is AgentState.LISTENING
        and controller.user_state is not UserState.SPEAKING
        and session.turn_detector.is_idle
    )


def remind_caller(session: Session, count: int) -> None:
    """The ``count``-th idle reminder: fixed text, or written by the LLM."""
    idle = session.settings.idle
    if idle.llm_reminders or not idle.reminders:
        session.inject("The caller has been silent for a while. Briefly check whether they are still there.")
        session.generate_reply()
    else:
        session.say(idle.reminders[(count - 1) % len(idle.reminders)])
