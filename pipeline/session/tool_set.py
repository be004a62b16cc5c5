"""The tools a session offers, from four sources kept apart: the runtime's built-in tools for the agent speaking
now, the call's own (a phone call's keypad and transfer), the application's tools (changed by ``update`` and hand-offs) and those of its MCP servers (changed as they
connect, reconnect or are given up). They meet in the one ``ToolRegistry`` the reply engine and tool runner
read; on a name clash the application's tool wins over a built-in one, and both win over an MCP tool (reported)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pipeline.observe.bus import EventBus
from pipeline.observe.events import ErrorEvent
from pipeline.stages.tools import Tool, ToolRegistry, make_tool


class SessionTools:
    def __init__(self, application: ToolRegistry, builtins: list[Tool], bus: EventBus) -> None:
        self.registry = ToolRegistry()
        self.all_application_tools = application.copy()  # what the pipeline was given (agents pick from it)
        self._bus = bus
        self._builtins = builtins
        self._call_tools: list[Tool] = []  # the phone call's own (press_digits, transfer_to_human)
        self._application = application.tools()
        self._mcp: dict[str, list[Tool]] = {}  # server name -> its tools
        self._rebuild()

    def offer(self, tools: Iterable[Tool | Callable[..., Any]]) -> None:
        """The application's tools from now on (validated first: a bad one changes nothing)."""
        self._application = [item if isinstance(item, Tool) else make_tool(item) for item in tools]
        self._rebuild()

    def add_call_tools(self, tools: Iterable[Tool]) -> None:
        """Tools the call itself offers from now on, whichever agent speaks (a phone call's keypad, transfer)."""
        self._call_tools.extend(tools)
        self._rebuild()

    def set_builtins(self, builtins: list[Tool]) -> None:
        """The runtime's tools for the agent speaking now."""
        self._builtins = builtins
        self._rebuild()

    def pick(self, names: list[str] | None) -> list[Tool]:
        """The application's tools named (an agent's ``tools`` list); None: all of them."""
        if names is None:
            return self.all_application_tools.tools()
        return [self.named(name) for name in names]

    def mcp_changed(self, server: str, tools: list[Tool]) -> None:
        """An MCP server's tools now (none when it was given up)."""
        self._mcp[server] = tools
        self._rebuild(report_clashes_of=server)

    def named(self, name: str) -> Tool:
        """One of the application's tools by name (an agent's ``tools`` list)."""
        found = self.all_application_tools.get(name)
        if found is None:
            raise ValueError(f"agent tools: the pipeline has no tool named {name!r}")
        return found

    def _rebuild(self, report_clashes_of: str | None = None) -> None:
        own = {
            tool.name: tool for tool in [*self._builtins, *self._call_tools, *self._application]
        }  # the application's win
        offered = dict(own)
        for server, tools in self._mcp.items():
            for tool in tools:
                if tool.name in offered:
                    if server == report_clashes_of:
                        self._bus.emit(
                            ErrorEvent,
                            source=f"mcp:{server}",
                            code="tool_name_clash",
                            message=f"{tool.name!r} is already a tool; set a `prefix` for this server",
                            recoverable=True,
                        )
                    continue
                offered[tool.name] = tool
        self.registry.replace(offered.values())
