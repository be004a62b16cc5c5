"""The LLM protocol: messages and tool schemas in; text deltas, complete tool calls and usage out."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text exactly as the model wrote it


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()  # assistant messages that called tools
    tool_call_id: str | None = None  # tool results
    interrupted: bool = False  # an assistant message cut short by the caller (content = what was heard)


@dataclass(frozen=True, slots=True)
class ToolSchema:
    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)  # JSON schema of the arguments object


@dataclass(frozen=True, slots=True)
class LlmRequest:
    messages: tuple[ChatMessage, ...]
    tools: tuple[ToolSchema, ...] = ()
    temperature: float | None = None
    max_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class LlmUsage:
    prompt_tokens: int
    completion_tokens: int


LlmChunk = TextDelta | ToolCall | LlmUsage


@runtime_checkable
class LLM(Protocol):
    provider: str
    model: str

    def stream(self, request: LlmRequest) -> AsyncGenerator[LlmChunk, None]:
        """An async generator of chunks. Tool calls come complete (assembled from deltas by the adapter).

        The caller closes it (``contextlib.aclosing``) to abort: the adapter must then close its connection.
        Raises ProviderError on failure.
        """
        ...
