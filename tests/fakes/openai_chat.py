"""Scripted chat completions for the OpenAI fake: replies as steps, rendered as SSE chunks or one JSON body.

    fake.replies.push(ChatReply.of("Let me check. ", ToolCall("get_weather", {"location": "Paris"})))

A `Text` step streams one chunk per word (with its trailing space); a `ToolCall` streams a first chunk with
index / id / type / name and empty arguments, then the arguments in `fragment_chars` pieces. Several
`ToolCall`s in one reply are parallel tool calls (indices 0, 1, ...).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.sse import SseStyle, sse_comment, sse_data, sse_json

CREATED = 1700000000
_WORD = re.compile(r"\s*\S+\s*|\s+")


@dataclass(frozen=True)
class Text:
    text: str
    split: bool = True  # False: the whole text is one content chunk


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str | None = None  # None: a deterministic call_<request>_<index>
    fragment_chars: int = 8


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    def as_dict(self) -> dict[str, int]:
        total = self.prompt_tokens + self.completion_tokens
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": total,
        }


Step = Text | ToolCall


@dataclass(frozen=True)
class ChatReply:
    steps: tuple[Step, ...]
    finish_reason: str | None = None  # None: "tool_calls" if the reply calls tools, else "stop"
    usage: Usage | None = None  # None: counted from the request and the reply

    @classmethod
    def of(
        cls, *steps: Step | str, finish_reason: str | None = None, usage: Usage | None = None
    ) -> ChatReply:
        return cls(tuple(Text(s) if isinstance(s, str) else s for s in steps), finish_reason, usage)

    @property
    def calls_tools(self) -> bool:
        return any(isinstance(step, ToolCall) for step in self.steps)

    def resolved_finish_reason(self) -> str:
        return self.finish_reason or ("tool_calls" if self.calls_tools else "stop")


@dataclass(frozen=True)
class ChatQuirks:
    """Ways OpenAI-compatible servers differ from OpenAI on the wire."""

    no_usage: bool = False  # never send the usage chunk, even with stream_options.include_usage
    no_id: bool = False  # chunks carry no "id"
    data_without_space: bool = False  # "data:{...}"
    crlf: bool = False  # CRLF line endings
    keepalive_every: int = 0  # a ": keepalive" comment before every Nth chunk (0 = none)

    def sse_style(self) -> SseStyle:
        return SseStyle(not self.data_without_space, self.crlf, self.keepalive_every)


# Each quirk alone, then all together: what a client of "any OpenAI-compatible server" must parse (test cases).
QUIRK_CASES: dict[str, ChatQuirks] = {
    "no-usage": ChatQuirks(no_usage=True),
    "no-id": ChatQuirks(no_id=True),
    "data-without-space": ChatQuirks(data_without_space=True),
    "crlf": ChatQuirks(crlf=True),
    "keepalive": ChatQuirks(keepalive_every=2),
    "all": ChatQuirks(True, True, True, True, 1),
}


@dataclass(frozen=True)
class Pacing:
    first_token_delay: float  # seconds after the response head before the first chunk
    tokens_per_second: float  # 0 = no pacing


class ReplyScript:
    """Replies the fake will give, in order; an echo of the last user message once the queue is empty."""

    def __init__(self) -> None:
        self._queue: deque[ChatReply] = deque()

    def push(self, *replies: ChatReply | str) -> None:
        self._queue.extend(ChatReply.of(r) if isinstance(r, str) else r for r in replies)

    def next(self, request: Mapping[str, Any]) -> ChatReply:
        return self._queue.popleft() if self._queue else ChatReply.of(f"You said: {last_user_text(request)}")


def last_user_text(request: Mapping[str, Any]) -> str:
    for message in reversed(request.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
            return str(content or "")
    return ""


def _tool_call_id(step: ToolCall, request_number: int, index: int) -> str:
    return step.id or f"call_{request_number}_{index}"


def _arguments(step: ToolCall) -> str:
    return step.arguments if isinstance(step.arguments, str) else json.dumps(step.arguments)


def reply_deltas(reply: ChatReply, request_number: int) -> list[dict[str, Any]]:
    """The `delta` objects of a streamed reply, before the finish chunk."""
    deltas: list[dict[str, Any]] = []
    role_sent = False
    tool_index = 0
    for step in reply.steps:
        match step:
            case Text(text=text, split=split):
                if not role_sent:
                    deltas.append({"role": "assistant", "content": ""})
                    role_sent = True
                pieces = _WORD.findall(text) if split else [text]
                deltas.extend({"content": piece} for piece in pieces if piece)
            case ToolCall():
                head: dict[str, Any] = {
                    "index": tool_index,
                    "id": _tool_call_id(step, request_number, tool_index),
                    "type": "function",
                    "function": {"name": step.name, "arguments": ""},
                }
                deltas.append(
                    {"role": "assistant", "content": None, "tool_calls": [head]}
                    if not role_sent
                    else {"tool_calls": [head]}
                )
                role_sent = True
                arguments = _arguments(step)
                size = max(1, step.fragment_chars)
                for start in range(0, len(arguments), size):
                    fragment = {
                        "index": tool_index,
                        "function": {"arguments": arguments[start : start + size]},
                    }
                    deltas.append({"tool_calls": [fragment]})
                tool_index += 1
    if not role_sent:
        deltas.append({"role": "assistant", "content": ""})
    return deltas


def reply_usage(reply: ChatReply, request: Mapping[str, Any], deltas: list[dict[str, Any]]) -> Usage:
    if reply.usage is not None:
        return reply.usage
    prompt = sum(len(str(m.get("content") or "").split()) for m in request.get("messages") or [])
    completion = sum(1 for d in deltas if d.get("content") or d.get("tool_calls"))
    return Usage(prompt + 1, completion)


def completion_json(reply: ChatReply, request: Mapping[str, Any], request_number: int) -> dict[str, Any]:
    """A non-streamed `chat.completion` body."""
    text = "".join(step.text for step in reply.steps if isinstance(step, Text))
    calls = [step for step in reply.steps if isinstance(step, ToolCall)]
    message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": None}
    if calls:
        message["tool_calls"] = [
            {
                "id": _tool_call_id(call, request_number, index),
                "type": "function",
                "function": {"name": call.name, "arguments": _arguments(call)},
            }
            for index, call in enumerate(calls)
        ]
    usage = reply_usage(reply, request, reply_deltas(reply, request_number))
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": reply.resolved_finish_reason(),
    }
    return {
        "id": f"chatcmpl-{request_number}",
        "object": "chat.completion",
        "created": CREATED,
        "model": request.get("model", "gpt-4o-mini"),
        "choices": [choice],
        "usage": usage.as_dict(),
        "system_fingerprint": "fp_fake",
    }


async def chat_events(
    reply: ChatReply, request: Mapping[str, Any], request_number: int, quirks: ChatQuirks, pacing: Pacing
) -> AsyncIterator[bytes]:
    """SSE chunks of a streamed reply, ending with `data: [DONE]`, paced as configured."""
    style = quirks.sse_style()
    deltas = reply_deltas(reply, request_number)
    base: dict[str, Any] = {} if quirks.no_id else {"id": f"chatcmpl-{request_number}"}
    base |= {
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": request.get("model", "gpt-4o-mini"),
    }
    base["system_fingerprint"] = "fp_fake"
    events = [
        sse_json(
            base | {"choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}]}, style
        )
        for delta in deltas
    ]
    finish = {"index": 0, "delta": {}, "logprobs": None, "finish_reason": reply.resolved_finish_reason()}
    events.append(sse_json(base | {"choices": [finish]}, style))
    include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
    if include_usage and not quirks.no_usage:
        usage = reply_usage(reply, request, deltas)
        events.append(sse_json(base | {"choices": [], "usage": usage.as_dict()}, style))
    events.append(sse_data("[DONE]", style))
    interval = 1.0 / pacing.tokens_per_second if pacing.tokens_per_second > 0 else 0.0
    for index, event in enumerate(events):
        if index == 0 and pacing.first_token_delay > 0:
            await asyncio.sleep(pacing.first_token_delay)
        elif index > 0 and interval > 0 and index < len(deltas):
            await asyncio.sleep(interval)
        if quirks.keepalive_every > 0 and index % quirks.keepalive_every == 0:
            event = sse_comment("keepalive", style) + event
        yield event
