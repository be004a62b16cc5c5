"""``scripted``: an LLM without a model, for the offline default and for tests. YAML rules map what the caller said
(a regex) to a reply, or to a tool call followed by a reply that uses the tool's result; anything else is echoed.
Replies stream word by word, like a real model.

    llm:
      provider: scripted
      rules:
        - match: "weather in (?P<city>\\w+)"
          say: "Let me check."
          tool: get_weather
          arguments: {city: "{city}"}
          then: "It is {result[celsius]} degrees in {result[city]}."
        - match: "\\b(hi|hello)\\b"
          reply: "Hello! How can I help?"
      fallback: "You said: {text}."
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncGenerator
from typing import Any

import anyio
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from providers.llm import ChatMessage, LlmChunk, LlmRequest, LlmUsage, Role, TextDelta, ToolCall
from providers.options import ProviderOptions
from providers.registry import ProviderSpec


class ScriptRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    match: str = Field(description="regular expression searched (case-insensitive) in the caller's words")
    reply: str | None = Field(None, description="the answer (when no tool is called)")
    say: str | None = Field(None, description="words spoken before calling the tool")
    tool: str | None = None
    arguments: dict[str, Any] = Field(
        default_factory=dict, description="string values may use {group} captures"
    )
    then: str | None = Field(
        None, description="the answer after the tool; {result} is its (JSON) output; empty: say nothing more"
    )

    @field_validator("match")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _has_an_answer(self) -> ScriptRule:
        if self.tool is None and self.reply is None:
            raise ValueError("a rule needs `reply`, or `tool` (with `then`)")
        return self


class ScriptedLlmOptions(ProviderOptions):
    rules: list[ScriptRule] = Field(default_factory=list)
    fallback: str = "You said: {text}."
    first_token_delay: float = Field(0.0, ge=0.0, description="seconds before the first word")
    word_delay: float = Field(0.0, ge=0.0, description="seconds between words")
    model: str = "scripted"


class _Result(dict[str, Any]):
    """Tool output for templates: a missing key renders as '?' instead of failing the reply."""

    def __missing__(self, key: str) -> str:
        return "?"


class ScriptedLlm:
    provider = "scripted"

    def __init__(self, options: ScriptedLlmOptions | None = None) -> None:
        self.options = options or ScriptedLlmOptions()
        self.model = self.options.model
        self._rules = [(re.compile(rule.match, re.IGNORECASE), rule) for rule in self.options.rules]
        self._call_ids = itertools.count(1)

    async def stream(self, request: LlmRequest) -> AsyncGenerator[LlmChunk, None]:
        text, call = self._respond(request)
        words = text.split()
        await anyio.sleep(self.options.first_token_delay)
        for index, word in enumerate(words):
            if index:
                await anyio.sleep(self.options.word_delay)
            yield TextDelta(word if index == 0 else f" {word}")
        if call is not None:
            yield call
        prompt = sum(len(message.content.split()) for message in request.messages)
        yield LlmUsage(prompt_tokens=prompt, completion_tokens=len(words) + (1 if call else 0))

    def _respond(self, request: LlmRequest) -> tuple[str, ToolCall | None]:
        last = request.messages[-1] if request.messages else ChatMessage(Role.USER, "")
        if last.role is Role.TOOL:
            return self._after_tool(request.messages, last), None
        heard = _last_user_text(request.messages)
        offered = {schema.name for schema in request.tools}
        for pattern, rule in self._rules:
            found = pattern.search(heard)
            if found is None:
                continue
            groups = {key: value or "" for key, value in found.groupdict().items()}
            if rule.tool is not None and rule.tool in offered:
                arguments = {key: _fill(value, groups, heard) for key, value in rule.arguments.items()}
                call = ToolCall(f"call_{next(self._call_ids)}", rule.tool, json.dumps(arguments))
                return _fill(rule.say or "", groups, heard), call
            if rule.reply is not None:
                return _fill(rule.reply, groups, heard), None
        return _fill(self.options.fallback, {}, heard), None

    def _after_tool(self, messages: tuple[ChatMessage, ...], result: ChatMessage) -> str:
        name = _tool_name(messages, result.tool_call_id)
        rule = next((rule for _, rule in self._rules if rule.tool == name), None)
        template = rule.then if rule is not None and rule.then is not None else "Done: {result}."
        try:
            parsed = json.loads(result.content)
        except ValueError:
            parsed = result.content
        value = _Result(parsed) if isinstance(parsed, dict) else parsed
        try:
            return template.format_map(_Result(result=value, text=_last_user_text(messages)))
        except (KeyError, IndexError, ValueError, AttributeError):
            return f"Done: {result.content}."


def _fill(value: Any, groups: dict[str, str], heard: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return value.format_map(_Result(groups, text=heard))
    except (KeyError, IndexError, ValueError):
        return value


def _last_user_text(messages: tuple[ChatMessage, ...]) -> str:
    for message in reversed(messages):
        if message.role is Role.USER:
            return message.content
    return ""


def _tool_name(messages: tuple[ChatMessage, ...], call_id: str | None) -> str | None:
    for message in reversed(messages):
        for call in message.tool_calls:
            if call.id == call_id:
                return call.name
    return None


SPEC = ProviderSpec(
    kind="llm",
    name="scripted",
    options=ScriptedLlmOptions,
    build=ScriptedLlm,
    description="rule-based replies and tool calls from YAML, no model (offline default and tests)",
)
