"""Streamed chat-completion chunks -> Parley LLM chunks, including shapes only some compatible servers send
(these never reach the SDK's typed models as such, so they are built here as plain objects)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from providers.llm import ChatMessage, LlmUsage, Role, TextDelta, ToolCall
from providers.openai.chat_chunks import CompletionReader, ToolCallAssembler
from providers.openai.messages import to_openai_messages


def piece(
    index: int | None = None, id: str | None = None, name: str | None = None, args: str | None = None
) -> Any:
    return SimpleNamespace(index=index, id=id, function=SimpleNamespace(name=name, arguments=args))


def chunk(content: str | None = None, calls: list[Any] | None = None, finish: str | None = None,
          usage: tuple[int, int] | None = None, choices: bool = True) -> Any:  # fmt: skip
    delta = SimpleNamespace(content=content, refusal=None, tool_calls=calls)
    return SimpleNamespace(
        choices=[SimpleNamespace(index=0, delta=delta, finish_reason=finish)] if choices else [],
        usage=SimpleNamespace(prompt_tokens=usage[0], completion_tokens=usage[1]) if usage else None,
    )


def ids() -> Any:
    counter = iter(range(1, 100))
    return lambda: f"gen_{next(counter)}"


def test_pieces_by_index_assemble_out_of_order_and_in_fragments() -> None:
    calls = ToolCallAssembler(ids())
    calls.add(piece(1, "call_b", "get_time", ""))
    calls.add(piece(0, "call_a", "get_weather", '{"loc'))
    calls.add(piece(0, args='ation": '))
    calls.add(piece(1, args="{}"))
    calls.add(piece(0, args='"Paris"}'))
    assert calls.take() == [
        ToolCall("call_a", "get_weather", '{"location": "Paris"}'),
        ToolCall("call_b", "get_time", "{}"),
    ]
    assert not calls


def test_pieces_without_index_or_id() -> None:
    """Older Ollama / llama.cpp: whole calls without index, sometimes without id; a name starts a new call."""
    calls = ToolCallAssembler(ids())
    calls.add(piece(name="get_weather", args='{"location": '))
    calls.add(piece(args='"Oslo"}'))
    calls.add(piece(name="get_time", args="{}"))
    calls.add(piece(id="x1", name="lookup", args='{"id": 1}'))
    calls.add(piece(id="x1", args=""))  # the same id again: the same call
    assert calls.take() == [
        ToolCall("gen_1", "get_weather", '{"location": "Oslo"}'),
        ToolCall("gen_2", "get_time", "{}"),
        ToolCall("x1", "lookup", '{"id": 1}'),
    ]


def test_a_repeated_name_or_id_is_not_appended() -> None:
    calls = ToolCallAssembler(ids())
    calls.add(piece(0, "call_a", "get_time", "{"))
    calls.add(piece(0, "call_a", "get_time", "}"))
    assert calls.take() == [ToolCall("call_a", "get_time", "{}")]


def test_reader_releases_calls_at_finish_reason_and_usage_at_the_end() -> None:
    reader = CompletionReader(ids())
    assert reader.feed(chunk(content="")) == []
    assert not reader.progressed
    assert reader.feed(chunk(content="On it. ")) == [TextDelta("On it. ")]
    assert reader.progressed
    assert reader.feed(chunk(calls=[piece(0, "c", "get_time", "{}")])) == []
    assert reader.feed(chunk(finish="tool_calls")) == [ToolCall("c", "get_time", "{}")]
    assert reader.feed(chunk(usage=(5, 3), choices=False)) == []
    assert reader.finish() == [LlmUsage(5, 3)]
    assert reader.finish_reason == "tool_calls"


def test_reader_without_finish_reason_releases_calls_at_the_end_and_keeps_the_last_usage() -> None:
    reader = CompletionReader(ids())
    reader.feed(chunk(calls=[piece(0, "c", "get_time", "{}")], usage=(5, 1)))
    reader.feed(chunk(content="", usage=(5, 2)))  # vLLM continuous usage: in every chunk
    assert reader.finish() == [ToolCall("c", "get_time", "{}"), LlmUsage(5, 2)]


def test_reader_ignores_other_choices_and_chunks_without_choices() -> None:
    reader = CompletionReader(ids())
    other = SimpleNamespace(
        index=1, delta=SimpleNamespace(content="other", tool_calls=None), finish_reason=None
    )
    assert reader.feed(SimpleNamespace(choices=[other], usage=None)) == []
    assert reader.feed(SimpleNamespace(object="mystery.event")) == []
    assert reader.finish() == []


def test_interrupted_marker_and_empty_assistant_messages() -> None:
    messages = to_openai_messages(
        [
            ChatMessage(Role.ASSISTANT, "", interrupted=True),  # cut before a word was heard: left out
            ChatMessage(Role.ASSISTANT, "I was saying…", interrupted=True),  # not marked twice
            ChatMessage(Role.ASSISTANT, "Hello there"),
        ]
    )
    assert messages == [
        {"role": "assistant", "content": "I was saying…"},
        {"role": "assistant", "content": "Hello there"},
    ]
