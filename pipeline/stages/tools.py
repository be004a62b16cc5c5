"""Tools the LLM can call: plain typed Python functions (sync or async) registered with ``@tool``.

The JSON schema comes from the signature and docstring via pydantic; the LLM's arguments are validated against
it, and anything that goes wrong (bad arguments, an exception, a timeout) becomes a tool error the LLM sees.
A parameter annotated with ``ToolContext`` is not part of the schema: the runtime passes the calling context.
"""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from pydantic import Field as PydanticField
from pydantic_core import to_json

from pipeline.base.compute import run_blocking
from pipeline.observe.events import ToolStatus
from providers.llm import ToolCall, ToolSchema
from providers.redact import redact

if TYPE_CHECKING:
    from pipeline.stages.collect_dialog import Collector


class ToolContext:
    """What a running tool may ask of the session. The session supplies a concrete one."""

    def end_call_after_reply(self, goodbye: str | None = None) -> None:
        """End the call once the current reply has been spoken in full (ignored if the caller interrupts it)."""
        raise NotImplementedError

    def extend_wait(self, seconds: float) -> None:
        """The caller asked for time: hold idle reminders off for ``seconds``."""
        raise NotImplementedError

    def hand_off(self, agent: str) -> None:
        """Move the caller to the named agent once the current reply has been spoken in full (an interrupted
        reply's hand-off does not happen)."""
        raise NotImplementedError

    def collect(self, collector: Collector) -> None:
        """Run ``collector``'s dialog after this reply (which ends with its question); its result comes back to
        the LLM as another result of the calling tool."""
        raise NotImplementedError

    def progress(self, message: str, *, speak: bool = True) -> None:
        """Report progress ("looking it up"): a ``tool_progress`` event, and — with ``speak``, while the reply
        that called the tool is still being written — spoken to the caller as a filler. Call it from the event
        loop (async tools); a sync tool running in a worker thread may call it too."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class ToolResult:
    call: ToolCall
    status: ToolStatus
    content: str  # what the LLM sees
    duration: float = 0.0


@dataclass
class Tool:
    name: str
    description: str
    function: Callable[..., Any]
    arguments: type[BaseModel]
    timeout: float = 10.0
    cancellable: bool = False  # may be cancelled mid-flight when the caller interrupts; else it finishes
    background_after: float | None = (
        None  # still running after this: the reply goes on, the result comes later
    )
    context_parameter: str | None = None
    parameters: dict[str, Any] | None = None  # a JSON schema given as is (MCP tools); else from ``arguments``
    schema: ToolSchema = field(init=False)

    def __post_init__(self) -> None:
        parameters = (
            dict(self.parameters) if self.parameters is not None else self.arguments.model_json_schema()
        )
        parameters.pop("title", None)
        self.schema = ToolSchema(self.name, self.description, parameters)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    async def invoke(self, call: ToolCall, context: ToolContext | None = None) -> ToolResult:
        started = anyio.current_time()
        status, content = await self._invoke(call, context)
        return ToolResult(call, status, content, anyio.current_time() - started)

    async def _invoke(self, call: ToolCall, context: ToolContext | None) -> tuple[ToolStatus, str]:
        try:
            arguments = self.arguments.model_validate_json(call.arguments or "{}")
        except ValidationError as exc:
            return ToolStatus.ERROR, f"invalid arguments for {self.name}: {_describe(exc)}"
        kwargs = dict(arguments)
        if self.context_parameter is not None:
            kwargs[self.context_parameter] = context
        try:
            with anyio.move_on_after(self.timeout) as deadline:
                if inspect.iscoroutinefunction(self.function):
                    result = await self.function(**kwargs)
                else:
                    result = await run_blocking(self.function, **kwargs)
        except Exception as exc:
            return ToolStatus.ERROR, f"{self.name} failed: {type(exc).__name__}: {redact(str(exc))}"
        if deadline.cancelled_caught:
            return ToolStatus.TIMEOUT, f"{self.name} timed out after {self.timeout:g} s"
        if isinstance(result, str):
            return ToolStatus.OK, _bounded(result)
        try:
            return ToolStatus.OK, _bounded(to_json(result).decode())
        except (ValueError, TypeError, RecursionError) as exc:  # a set, an object, a circular dict...
            reason = f"{type(result).__name__} cannot be sent to the model as JSON ({type(exc).__name__})"
            return ToolStatus.ERROR, f"{self.name} returned a {reason}"


MAX_RESULT_CHARS = 16_000  # a tool result longer than this reaches the LLM truncated, with a note saying so


def _bounded(content: str) -> str:
    if len(content) <= MAX_RESULT_CHARS:
        return content
    note = f"\n[result truncated: the first {MAX_RESULT_CHARS} of {len(content)} characters are shown]"
    return content[:MAX_RESULT_CHARS] + note


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"]) or "arguments"
        parts.append(f"{location}: {error['msg']}")
    return "; ".join(parts)


@typing.overload
def tool(function: Callable[..., Any], /) -> Tool: ...


@typing.overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float = 10.0,
    cancellable: bool = False,
    background_after: float | None = None,
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    function: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float = 10.0,
    cancellable: bool = False,
    background_after: float | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Decorator: ``@tool`` or ``@tool(timeout=3, cancellable=True)``. With ``background_after=2``, a call still
    running after 2 s lets the reply go on (the LLM is told the result will follow) and its result is delivered
    in a later turn; ``timeout`` still bounds it."""

    def wrap(fn: Callable[..., Any]) -> Tool:
        return make_tool(
            fn,
            name=name,
            description=description,
            timeout=timeout,
            cancellable=cancellable,
            background_after=background_after,
        )

    return wrap(function) if function is not None else wrap


def make_tool(
    fn: Callable[..., Any],
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float = 10.0,
    cancellable: bool = False,
    background_after: float | None = None,
) -> Tool:
    tool_name = name or fn.__name__
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", tool_name):
        raise ValueError(f"tool name {tool_name!r} must be 1-64 letters, digits, _ or -")
    summary, parameter_docs = parse_docstring(inspect.getdoc(fn) or "")
    hints = typing.get_type_hints(fn)
    fields: dict[str, Any] = {}
    context_parameter = None
    for parameter in inspect.signature(fn).parameters.values():
        annotation = hints.get(parameter.name)
        if _is_tool_context(annotation):
            context_parameter = parameter.name
            continue
        if annotation is None:
            raise TypeError(f"tool {tool_name}: parameter {parameter.name!r} needs a type annotation")
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise TypeError(f"tool {tool_name}: *args/**kwargs are not supported")
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[parameter.name] = (
            annotation,
            PydanticField(default, description=parameter_docs.get(parameter.name)),
        )
    arguments = create_model(f"{tool_name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)
    return Tool(
        name=tool_name,
        description=description or summary or tool_name,
        function=fn,
        arguments=arguments,
        timeout=timeout,
        cancellable=cancellable,
        background_after=background_after,
        context_parameter=context_parameter,
    )


def _is_tool_context(annotation: object) -> bool:
    """``ToolContext`` (or a subclass), also inside ``Optional[...]`` / ``X | None``."""
    members = (
        typing.get_args(annotation)
        if typing.get_origin(annotation) in (typing.Union, types.UnionType)
        else ()
    )
    return any(
        isinstance(member, type) and issubclass(member, ToolContext) for member in (annotation, *members)
    )


_SECTION = re.compile(r"^(Args|Arguments|Parameters|Returns|Raises|Yields|Examples?|Notes?):\s*$")
_GOOGLE_PARAM = re.compile(r"^\s+(\w+)(?:\s*\([^)]*\))?:\s*(.*)$")
_SPHINX_PARAM = re.compile(r"^:param\s+(?:\S+\s+)?(\w+):\s*(.*)$")


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The summary (text before any section) and per-parameter descriptions (Google or Sphinx style)."""
    summary_lines: list[str] = []
    params: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    for line in doc.splitlines():
        header = _SECTION.match(line.strip())
        if header:
            section, current = header.group(1), None
            continue
        sphinx = _SPHINX_PARAM.match(line.strip())
        if sphinx:
            current = sphinx.group(1)
            params[current] = sphinx.group(2).strip()
            section = "sphinx"
            continue
        if line.strip().startswith(":"):  # another Sphinx field (:returns:, :raises ...:) ends the parameter
            section, current = "sphinx", None
            continue
        if section is None:
            summary_lines.append(line)
        elif section in ("Args", "Arguments", "Parameters", "sphinx"):
            google = _GOOGLE_PARAM.match(line) if section != "sphinx" else None
            if google:
                current = google.group(1)
                params[current] = google.group(2).strip()
            elif current and line.strip():
                params[current] = f"{params[current]} {line.strip()}".strip()
    summary = " ".join(part.strip() for part in summary_lines if part.strip())
    return summary, params


class ToolRegistry:
    """The tools a session offers (changeable mid-session with ``update``)."""

    def __init__(self, tools: Iterable[Tool | Callable[..., Any]] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for item in tools:
            self.add(item)

    def add(self, item: Tool | Callable[..., Any]) -> Tool:
        entry = item if isinstance(item, Tool) else make_tool(item)
        self._tools[entry.name] = entry
        return entry

    def remove(self, name: str) -> None:
        self._tools.pop(name, None)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    @property
    def schemas(self) -> tuple[ToolSchema, ...]:
        return tuple(entry.schema for entry in self._tools.values())

    def tools(self) -> list[Tool]:
        return list(self._tools.values())

    def copy(self) -> ToolRegistry:
        return ToolRegistry(self._tools.values())

    def replace(self, tools: Iterable[Tool | Callable[..., Any]]) -> None:
        """Offer exactly ``tools`` from now on (validated first: a bad one changes nothing)."""
        entries = [item if isinstance(item, Tool) else make_tool(item) for item in tools]
        self._tools = {entry.name: entry for entry in entries}


def unknown_tool_result(call: ToolCall) -> ToolResult:
    return ToolResult(call, ToolStatus.ERROR, f"there is no tool named {call.name!r}")


def arguments_preview(call: ToolCall, limit: int = 500) -> str:
    """Arguments for events: compact JSON when parseable, cut to ``limit`` characters."""
    try:
        text = json.dumps(json.loads(call.arguments or "{}"), separators=(",", ":"))
    except ValueError:
        text = call.arguments
    return text[:limit]
