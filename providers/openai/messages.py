"""Parley's chat history and tool schemas in the OpenAI chat-completions format.

An interrupted assistant message is sent as what the caller heard followed by ``INTERRUPTED_MARKER`` ("…"), so
the model knows it was cut off mid-thought instead of believing it finished (and does not repeat the unheard
part as if it had been said). Empty assistant messages without tool calls are left out (some servers reject
them); empty tool-call arguments are sent as ``{}`` (some servers parse them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from providers.llm import ChatMessage, Role, ToolCall, ToolSchema

INTERRUPTED_MARKER = "…"
_EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


def to_openai_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    converted: list[dict[str, Any]] = []
    for message in messages:
        match message.role:
            case Role.ASSISTANT:
                assistant = _assistant(message)
                if assistant is not None:
                    converted.append(assistant)
            case Role.TOOL:
                converted.append(
                    {"role": "tool", "tool_call_id": message.tool_call_id or "", "content": message.content}
                )
            case Role.SYSTEM | Role.USER:
                converted.append({"role": message.role.value, "content": message.content})
    return converted


def _assistant(message: ChatMessage) -> dict[str, Any] | None:
    text = message.content
    if message.interrupted and text.strip() and not text.rstrip().endswith(INTERRUPTED_MARKER):
        text = text.rstrip() + INTERRUPTED_MARKER
    if not message.tool_calls:
        return {"role": "assistant", "content": text} if text.strip() else None
    return {
        "role": "assistant",
        "content": text if text.strip() else None,
        "tool_calls": [_tool_call(call) for call in message.tool_calls],
    }


def _tool_call(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments if call.arguments.strip() else "{}"},
    }


def to_openai_tools(tools: Sequence[ToolSchema]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters or _EMPTY_PARAMETERS,
            },
        }
        for tool in tools
    ]
