"""Scripting the loopback fakes from the scenario: the Deepgram fake is told what the caller's next utterance
says, and the OpenAI fake answers each chat request with the current turn's tool calls, then its reply.

The LLM script follows the conversation instead of a queue: a request whose last message is a tool result gets
the turn's text reply; any other request gets the turn's tool calls (if it has any) or its text reply. So an
unexpected extra request (a stray turn) never shifts the replies of the turns after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks.latency.scenario import TurnSpec
from tests.fakes import ChatReply, FakeDeepgram, FakeOpenAI
from tests.fakes import ToolCall as FakeToolCall

UNSCRIPTED_REPLY = "Okay."


def tool_reply(turn: TurnSpec) -> ChatReply | None:
    """The turn's first LLM answer when it calls tools: all its calls, in parallel."""
    if not turn.tool_calls:
        return None
    return ChatReply.of(*(FakeToolCall(call.name, dict(call.arguments)) for call in turn.tool_calls))


def text_reply(turn: TurnSpec) -> ChatReply:
    return ChatReply.of(turn.agent)


class TurnReplies:
    """Stands in for the OpenAI fake's reply queue (it only needs ``next(request)``)."""

    def __init__(self) -> None:
        self.current: TurnSpec | None = None

    def next(self, request: Mapping[str, Any]) -> ChatReply:
        turn = self.current
        if turn is None:
            return ChatReply.of(UNSCRIPTED_REPLY)
        messages = request.get("messages") or []
        last_role = messages[-1].get("role") if messages else None
        calls = tool_reply(turn)
        if calls is not None and last_role != "tool":
            return calls
        return text_reply(turn)


class FakeScript:
    """Tells the fakes of one session what the next caller turn says and how the agent answers it."""

    def __init__(self, deepgram: FakeDeepgram, openai: FakeOpenAI) -> None:
        self._deepgram = deepgram
        self._replies = TurnReplies()
        openai.replies = self._replies  # type: ignore[assignment]
        deepgram.transcripts.default = ""  # audio outside a scripted turn (a cough) has no words

    def before_turn(self, turn: TurnSpec) -> None:
        transcripts = self._deepgram.transcripts
        transcripts.clear()
        transcripts.push(turn.caller)
        self._replies.current = turn
