"""Reads the chunks of one streamed chat completion into Parley's LLM chunks: text deltas as they come, tool
calls assembled from their pieces and released complete (in index order) when the choice finishes or the stream
ends, and the usage once at the end.

Tolerates what OpenAI-compatible servers do differently: no usage, no ids (tool calls get a generated id), no
``index`` on tool-call pieces (a piece with a new id or a name starts a new call), usage inside a chunk that also
has choices or in every chunk (the last one wins), chunks with no ``choices`` at all (ignored).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from providers.llm import LlmChunk, LlmUsage, TextDelta, ToolCall


def random_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


@dataclass
class _PartialCall:
    id: str | None = None
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class MalformedChunk(ValueError):
    """A chunk the reader cannot use (a tool call without a name, a field of the wrong type)."""


class ToolCallAssembler:
    """Tool-call pieces of one choice, by index: the first piece has id and name, later ones argument text."""

    def __init__(self, new_id: Callable[[], str] = random_call_id) -> None:
        self._new_id = new_id
        self._calls: dict[int, _PartialCall] = {}
        self._last_index: int | None = None

    def __bool__(self) -> bool:
        return bool(self._calls)

    def add(self, piece: Any) -> None:
        function = getattr(piece, "function", None)
        call_id: str | None = getattr(piece, "id", None) or None
        name: str = getattr(function, "name", None) or ""
        index = self._index_of(getattr(piece, "index", None), call_id, name)
        call = self._calls.setdefault(index, _PartialCall())
        self._last_index = index
        if call_id and call.id is None:
            call.id = call_id
        if name and not call.name:
            call.name = name
        arguments = getattr(function, "arguments", None)
        if arguments:
            if not isinstance(arguments, str):
                raise MalformedChunk(f"tool-call arguments of type {type(arguments).__name__}, not text")
            call.arguments.append(arguments)

    def take(self) -> list[ToolCall]:
        """The complete calls in index order; the assembler is then empty. A call that never got a name cannot
        be run: it is a malformed answer (raised, so the turn is reported, never silently lost)."""
        nameless = [call for call in self._calls.values() if not call.name]
        if nameless:
            self._calls.clear()
            raise MalformedChunk(f"{len(nameless)} tool call(s) without a function name")
        calls = [
            ToolCall(call.id or self._new_id(), call.name, "".join(call.arguments))
            for _, call in sorted(self._calls.items())
        ]
        self._calls.clear()
        self._last_index = None
        return calls

    def _index_of(self, index: int | None, call_id: str | None, name: str) -> int:
        if isinstance(index, int):
            return index
        for known, call in self._calls.items():  # no index: match by id
            if call_id and call.id == call_id:
                return known
        if (call_id or name) or self._last_index is None:
            return max(self._calls, default=-1) + 1
        return self._last_index


class CompletionReader:
    """One streamed completion: ``feed`` each chunk, then ``finish`` when the stream ends."""

    def __init__(self, new_id: Callable[[], str] = random_call_id) -> None:
        self._calls = ToolCallAssembler(new_id)
        self._usage: LlmUsage | None = None
        self.progressed = False  # a token (text or tool-call piece) has arrived
        self.finish_reason: str | None = None

    def feed(self, chunk: Any) -> list[LlmChunk]:
        out: list[LlmChunk] = []
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self._usage = LlmUsage(
                prompt_tokens=int(getattr(usage, "prompt_tokens", None) or 0),
                completion_tokens=int(getattr(usage, "completion_tokens", None) or 0),
            )
        for choice in getattr(chunk, "choices", None) or ():
            if (getattr(choice, "index", None) or 0) != 0:
                continue  # only the first choice is spoken
            delta = getattr(choice, "delta", None)
            text = _text(getattr(delta, "content", None)) + _text(getattr(delta, "refusal", None))
            if text:
                self.progressed = True
                out.append(TextDelta(text))
            for piece in getattr(delta, "tool_calls", None) or ():
                self.progressed = True
                self._calls.add(piece)
            reason = getattr(choice, "finish_reason", None)
            if reason:
                self.finish_reason = reason
                out.extend(self._calls.take())
        return out

    def finish(self) -> list[LlmChunk]:
        """Calls still pending (a server that never sent finish_reason), then the usage if any was sent."""
        out: list[LlmChunk] = list(self._calls.take())
        if self._usage is not None:
            out.append(self._usage)
        return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedChunk(f"a text delta of type {type(value).__name__}")
    return value
