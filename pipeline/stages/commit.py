"""What a finished speech leaves in the conversation context: only what the caller heard.

A completed reply keeps all its steps. An interrupted one keeps the words that were played (taken in order across
its steps), marks the last assistant message ``interrupted``, and keeps every tool call that actually ran with its
result — so the model knows what it did, and never sees words the caller did not hear.
"""

from __future__ import annotations

from dataclasses import replace

from pipeline.observe.events import SpeechSource
from pipeline.stages.context import ChatContext
from pipeline.stages.speech import ReplyStep, Speech, SpeechState
from providers.llm import ChatMessage, Role


def commit_speech(context: ChatContext, speech: Speech) -> None:
    if speech.state is SpeechState.DISCARDED:
        return  # a preemptive reply nobody heard: the model never said it
    interrupted = speech.state is SpeechState.INTERRUPTED
    heard = speech.heard_text()
    if speech.source is SpeechSource.REPLY:
        for message in _reply_messages(speech.steps, heard if interrupted else None):
            context.add(message)
    elif heard:
        context.add_assistant(heard, interrupted=interrupted)
    if speech.after_done and speech.state is not SpeechState.DONE:
        undone = ", ".join(item.description for item in speech.after_done)
        context.add_note(f"Not done, because the caller interrupted that reply: {undone}.")


def step_messages(step: ReplyStep) -> list[ChatMessage]:
    """The messages a finished reply step adds to the context: its text, and its started calls with results."""
    if not step.calls:
        return [ChatMessage(Role.ASSISTANT, step.text)] if step.text else []
    return [
        ChatMessage(Role.ASSISTANT, step.text, tool_calls=tuple(step.calls)),
        *(ChatMessage(Role.TOOL, r.content, tool_call_id=r.call.id) for r in step.results),
    ]


def _reply_messages(steps: list[ReplyStep], heard: str | None) -> list[ChatMessage]:
    """Messages for the steps; with ``heard`` given, step texts are cut to the heard words."""
    remaining = heard.split() if heard is not None else None
    messages: list[ChatMessage] = []
    for step in steps:
        text = step.text.strip()
        if remaining is not None:
            words = text.split()
            kept, remaining = words[: len(remaining)], remaining[len(words) :]
            text = " ".join(kept)
        messages.extend(step_messages(replace(step, text=text)))
        _answer_unfinished_calls(step, messages)
    if heard is not None:
        _mark_last_assistant_interrupted(messages)
    return messages


def _answer_unfinished_calls(step: ReplyStep, messages: list[ChatMessage]) -> None:
    """Every started call has a result (tool_runner guarantees it); this keeps the history valid regardless."""
    answered = {result.call.id for result in step.results}
    for call in step.calls:
        if call.id not in answered:
            messages.append(ChatMessage(Role.TOOL, "cancelled", tool_call_id=call.id))


def _mark_last_assistant_interrupted(messages: list[ChatMessage]) -> None:
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message.role is Role.ASSISTANT:
            messages[index] = ChatMessage(
                Role.ASSISTANT, message.content, tool_calls=message.tool_calls, interrupted=True
            )
            return
