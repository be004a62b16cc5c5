"""MCP tool servers (the official ``mcp`` SDK): each server in ``mcp_servers`` is one ``McpServerLink`` that
connects (a stdio subprocess, or streamable HTTP), lists its tools and turns them into ordinary ``Tool``s — so they
get the same timeouts, parallel runs, barge-in cancellation and events as Python tools — and keeps the connection
up: a call that finds it closed, or a failed ping, makes the link reconnect (the server restarts), and after
``max_restarts`` failures in a row the server is given up and its tools withdrawn. A call while reconnecting
fails at once with a clear error the LLM sees; the call goes on."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from enum import Enum
from typing import Any

import anyio
from anyio.abc import TaskStatus
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, PaginatedRequestParams, TextContent
from mcp.types import Tool as McpTool
from mcp_types import CONNECTION_CLOSED
from pydantic import ConfigDict, create_model

from pipeline.observe.bus import EventBus
from pipeline.observe.events import McpServerStatus
from pipeline.settings import McpServerSettings
from pipeline.stages.tools import Tool, ToolContext
from providers.errors import root_cause

ToolsChanged = Callable[[str, list[Tool]], None]  # a server's name and the tools it offers now
_CONTEXT = "__parley_tool_context"  # the keyword the runtime passes the ToolContext under
_LINK_ERRORS = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, OSError)


class McpToolError(Exception):
    """An MCP tool call failed (the tool reported an error, or the server is unreachable)."""


class LinkState(Enum):
    """connecting -> ready -> (down -> connecting ...) -> gave_up."""

    CONNECTING = "connecting"
    READY = "ready"
    DOWN = "down"
    GAVE_UP = "gave_up"


class McpServerLink:
    def __init__(self, settings: McpServerSettings, bus: EventBus, on_tools: ToolsChanged) -> None:
        self.settings = settings
        self._bus = bus
        self._on_tools = on_tools
        self.state = LinkState.CONNECTING
        self._session: ClientSession | None = None
        self._broken = anyio.Event()

    @property
    def name(self) -> str:
        return self.settings.name

    # --- the connection ---------------------------------------------------------------------------------------

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Keep the server connected for the life of the session. ``task_status`` is reported once the first
        attempt is over (connected or not), so a session starts with the tools of the servers that answered."""
        started = False

        def first_attempt_over() -> None:
            nonlocal started
            if not started:
                started = True
                task_status.started()

        failures = 0
        while True:
            self.state = LinkState.CONNECTING
            connected = False
            try:
                connected = await self._serve_once(first_attempt_over)
                error = "the connection was lost"
            except Exception as exc:  # anything the transport or the server did: reconnect
                cause = root_cause(exc)
                error = f"{type(cause).__name__}: {cause}"
            self._session = None
            failures = 1 if connected else failures + 1
            if failures > self.settings.max_restarts:
                self.state = LinkState.GAVE_UP
                self._on_tools(self.name, [])
                self._bus.emit(McpServerStatus, server=self.name, status="gave_up", error=error)
                first_attempt_over()
                return
            self.state = LinkState.DOWN
            self._bus.emit(McpServerStatus, server=self.name, status="disconnected", error=error)
            first_attempt_over()
            await anyio.sleep(self.settings.retry_delay)

    async def _serve_once(self, ready: Callable[[], None]) -> bool:
        """Connect, list the tools, serve calls until the link breaks; True if it got connected."""
        async with AsyncExitStack() as stack:
            read, write = await stack.enter_async_context(self._transport())
            session = await stack.enter_async_context(ClientSession(read, write))
            with anyio.fail_after(self.settings.connect_timeout):
                await session.initialize()
                listed = await _all_tools(session)
            self._broken = anyio.Event()
            self._session = session
            self.state = LinkState.READY
            tools = [self._tool(entry) for entry in listed if self._wanted(entry.name)]
            self._on_tools(self.name, tools)
            self._bus.emit(
                McpServerStatus, server=self.name, status="connected", tools=tuple(t.name for t in tools)
            )
            ready()
            async with anyio.create_task_group() as watch:
                if self.settings.ping_interval is not None:
                    watch.start_soon(self._keep_alive, session, self.settings.ping_interval)
                await self._broken.wait()
                watch.cancel_scope.cancel()
        return True

    @asynccontextmanager
    async def _transport(self) -> AsyncIterator[tuple[Any, Any]]:
        settings = self.settings
        if settings.transport == "stdio":
            assert settings.command is not None
            parameters = StdioServerParameters(
                command=settings.command, args=settings.args, env=settings.env or None, cwd=settings.cwd
            )
            async with stdio_client(parameters) as (read, write):
                yield read, write
        else:
            assert settings.url is not None
            async with streamable_http_client(settings.url) as (read, write):
                yield read, write

    async def _keep_alive(self, session: ClientSession, interval: float) -> None:
        while True:
            await anyio.sleep(interval)
            await self._check(session)

    async def _check(self, session: ClientSession) -> None:
        """Ping; a server that does not answer is reconnected."""
        try:
            with anyio.fail_after(5.0):
                await session.send_ping()
        except Exception:
            if self._session is session:
                self._broken.set()

    def _wanted(self, name: str) -> bool:
        return self.settings.tools is None or name in self.settings.tools

    # --- the tools ------------------------------------------------------------------------------------------

    def _tool(self, entry: McpTool) -> Tool:
        remote = entry.name

        async def call_remote(**arguments: Any) -> str:
            context = arguments.pop(_CONTEXT, None)
            return await self.call(remote, arguments, context)

        return Tool(
            name=_tool_name(self.settings.prefix + remote),
            description=entry.description or entry.title or remote,
            function=call_remote,
            arguments=create_model(f"{remote}_arguments", __config__=ConfigDict(extra="allow")),
            timeout=self.settings.timeout,
            cancellable=self.settings.cancellable,
            parameters=dict(entry.input_schema),
            context_parameter=_CONTEXT,
        )

    async def call(self, tool: str, arguments: dict[str, Any], context: ToolContext | None = None) -> str:
        """Call ``tool`` on the server: its text (or structured) result; McpToolError when it fails. The server's
        progress messages go to ``context.progress`` (spoken with ``speak_progress``)."""
        speak = self.settings.speak_progress

        async def progressed(progress: float, total: float | None, message: str | None) -> None:
            if context is not None and message:
                context.progress(message, speak=speak)

        session = self._session
        if session is None:
            state = "given up" if self.state is LinkState.GAVE_UP else "reconnecting"
            raise McpToolError(f"the MCP server {self.name} is not connected ({state})")
        try:
            result = await session.call_tool(tool, arguments, progress_callback=progressed)
        except MCPError as exc:
            if exc.code == CONNECTION_CLOSED and self._session is session:
                self._broken.set()
            raise McpToolError(f"MCP server {self.name}: {exc.message}") from None
        except _LINK_ERRORS as exc:
            if self._session is session:
                self._broken.set()
            raise McpToolError(f"MCP server {self.name} is unreachable: {type(exc).__name__}") from None
        text = _result_text(result)
        if result.is_error:
            raise McpToolError(text or f"{tool} failed")
        return text


async def _all_tools(session: ClientSession) -> list[McpTool]:
    listed = await session.list_tools()
    tools = list(listed.tools)
    while listed.next_cursor is not None:
        listed = await session.list_tools(params=PaginatedRequestParams(cursor=listed.next_cursor))
        tools.extend(listed.tools)
    return tools


def _result_text(result: CallToolResult) -> str:
    texts = [part.text if isinstance(part, TextContent) else f"[{part.type}]" for part in result.content]
    if texts:
        return "\n".join(texts)
    if result.structured_content is not None:
        return json.dumps(result.structured_content)
    return ""


def _tool_name(name: str) -> str:
    """An MCP tool name made fit for LLM tool calling (letters, digits, _ and -; 64 at most)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64] or "tool"
