"""MCP tools against a real MCP server built with the official SDK (tests/mcp_server.py), over stdio (a
subprocess) and streamable HTTP (on 127.0.0.1): listing, calling, a failing tool, a server that dies mid-call
(and is restarted), a server that never comes up (given up), barge-in cancelling a call, and MCP tools offered
beside Python tools in a whole call. These run on asyncio, in real time."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from pipeline.observe.events import (
    AgentStoppedSpeaking,
    Event,
    McpServerStatus,
    SpeechSource,
    ToolFinished,
    ToolProgress,
    ToolStatus,
)
from pipeline.session.mcp_servers import LinkState, McpServerLink
from pipeline.settings import McpServerSettings, SessionSettings
from pipeline.stages.speech import ReplyStep, Speech
from pipeline.stages.tool_runner import ToolRunner
from pipeline.stages.tools import Tool, ToolRegistry, tool
from providers.llm import Role, ToolCall
from tests.conversation import Call, make_pipeline, of_type, run_call
from tests.doubles import FakeTts, ScriptedLlm, ScriptedStt, call

pytestmark = [pytest.mark.anyio, pytest.mark.vendor_sdk]

ROOT = Path(__file__).resolve().parent.parent


class RecordingBus:
    """Stands in for the session's EventBus: keeps what is emitted."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, cls: type[Event], /, **fields: Any) -> Event:
        event = cls(timestamp=0.0, session_id="test", **fields)
        self.events.append(event)
        return event

    def statuses(self) -> list[str]:
        return [e.status for e in self.events if isinstance(e, McpServerStatus)]


def stdio_server(marker: Path | None = None, **settings: Any) -> McpServerSettings:
    env = {"PARLEY_MCP_MARKER": str(marker)} if marker else {}
    return McpServerSettings(
        name="test",
        command=sys.executable,
        args=["-m", "tests.mcp_server", "stdio"],
        cwd=ROOT,
        env=env,
        **{"retry_delay": 0.1, **settings},
    )


class Offered:
    """The tools a link offers, as the session would register them."""

    def __init__(self) -> None:
        self.tools: dict[str, Tool] = {}

    def __call__(self, server: str, tools: list[Tool]) -> None:
        self.tools = {t.name: t for t in tools}


@asynccontextmanager
async def running(settings: McpServerSettings) -> AsyncIterator[tuple[McpServerLink, Offered, RecordingBus]]:
    bus, offered = RecordingBus(), Offered()
    link = McpServerLink(settings, bus, offered)  # type: ignore[arg-type]
    async with anyio.create_task_group() as group:
        with anyio.fail_after(30):
            await group.start(link.run)
        yield link, offered, bus
        group.cancel_scope.cancel()


async def invoke(tools: Offered, name: str, arguments: str) -> tuple[ToolStatus, str]:
    result = await tools.tools[name].invoke(ToolCall("c1", name, arguments))
    return result.status, result.content


async def until(condition: Any, limit: float = 20.0) -> None:
    with anyio.fail_after(limit):
        while not condition():
            await anyio.sleep(0.05)


async def test_stdio_listing_calling_and_a_failing_tool() -> None:
    async with running(stdio_server()) as (link, offered, bus):
        assert link.state is LinkState.READY and bus.statuses() == ["connected"]
        assert set(offered.tools) == {"add", "weather", "broken", "slow", "lookup", "die"}
        schema = offered.tools["add"].schema
        assert schema.description == "Add two numbers." and schema.parameters["required"] == ["a", "b"]
        assert await invoke(offered, "add", '{"a": 2, "b": 3}') == (ToolStatus.OK, "5")
        status, content = await invoke(offered, "weather", '{"city": "Paris"}')
        assert status is ToolStatus.OK and '"celsius": 21' in content
        status, content = await invoke(offered, "broken", "{}")
        assert status is ToolStatus.ERROR and "broken" in content
        assert link.state is LinkState.READY  # a failing tool is not a failing server


async def test_a_server_dying_mid_call_fails_the_call_and_is_restarted() -> None:
    async with running(stdio_server(ping_interval=None)) as (_link, offered, bus):
        status, content = await invoke(offered, "die", "{}")
        assert status is ToolStatus.ERROR and "Connection closed" in content
        await until(lambda: bus.statuses() == ["connected", "disconnected", "connected"])
        assert await invoke(offered, "add", '{"a": 1, "b": 1}') == (ToolStatus.OK, "2")


async def test_a_server_that_never_comes_up_is_given_up() -> None:
    settings = McpServerSettings(
        name="gone",
        command=sys.executable,
        args=["-c", "raise SystemExit(1)"],
        max_restarts=1,
        retry_delay=0.0,
    )
    async with running(settings) as (link, offered, bus):
        await until(lambda: link.state is LinkState.GAVE_UP)
        assert bus.statuses() == ["disconnected", "gave_up"] and offered.tools == {}
        assert "gone" in link.name and bus.events[-1].error  # type: ignore[attr-defined]


@pytest.fixture
def http_server() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.mcp_server", "http", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(10)


async def test_streamable_http_listing_calling_and_a_failing_tool(http_server: str) -> None:
    settings = McpServerSettings(name="web", transport="http", url=http_server, prefix="web_")
    async with running(settings) as (_link, offered, bus):
        assert bus.statuses() == ["connected"]
        assert {"web_add", "web_slow"} <= set(offered.tools)
        assert await invoke(offered, "web_add", '{"a": 20, "b": 22}') == (ToolStatus.OK, "42")
        status, _ = await invoke(offered, "web_broken", "{}")
        assert status is ToolStatus.ERROR


async def test_server_progress_reaches_the_tool_context() -> None:
    async with running(stdio_server()) as (_link, offered, _bus):
        events = RecordingBus()
        runner = ToolRunner(ToolRegistry(offered.tools.values()), events, idle=None)  # type: ignore[arg-type]
        step = ReplyStep()
        await runner.run(
            [ToolCall("c1", "lookup", '{"query": "order 7"}')], step, Speech(SpeechSource.REPLY, turn_id=1)
        )
        (progress,) = [e for e in events.events if isinstance(e, ToolProgress)]
        assert (progress.name, progress.message, progress.spoken) == ("lookup", "Looking it up.", False)
        assert step.results[0].content == "found order 7"


async def test_barge_in_cancels_a_call_in_flight(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    async with running(stdio_server(marker)) as (_link, offered, _bus):
        registry = ToolRegistry(offered.tools.values())
        events = RecordingBus()
        runner = ToolRunner(registry, events, idle=None)  # type: ignore[arg-type]
        speech = Speech(SpeechSource.REPLY, turn_id=1)
        step = ReplyStep()

        async def reply() -> None:
            with speech.cancel_scope:
                await runner.run([ToolCall("c1", "slow", '{"seconds": 30}')], step, speech)

        async with anyio.create_task_group() as group:
            group.start_soon(reply)
            await until(lambda: marker.exists() and "slow started" in marker.read_text())
            speech.cancel_scope.cancel()  # what a barge-in does to the reply
        (finished,) = [e for e in events.events if isinstance(e, ToolFinished)]
        assert finished.status is ToolStatus.CANCELLED
        await until(lambda: "slow cancelled" in marker.read_text(), limit=10)  # the server was told
        assert "slow finished" not in marker.read_text()
        assert await invoke(offered, "add", '{"a": 1, "b": 2}') == (ToolStatus.OK, "3")  # still usable


async def test_mcp_tools_beside_python_tools_in_a_call() -> None:
    @tool
    def local_time() -> str:
        """The time here."""
        return "noon"

    llm = ScriptedLlm([["Let me add.", call("add", '{"a": 2, "b": 3}')], "It is five."], ttft=0.05)
    settings = SessionSettings(mcp_servers=[stdio_server()])
    pipeline = make_pipeline(
        ScriptedStt(["what is two plus three"]),
        llm,
        FakeTts(ttfb=0.02),
        tools=[local_time],
        settings=settings,
    )

    async def one_turn(call_: Call) -> None:
        await call_.caller.pause(0.3)
        await call_.caller.speak(0.8)
        await call_.caller.pause_until(call_.has(AgentStoppedSpeaking))

    done = await run_call(pipeline, one_turn, limit=60)

    offered = {schema.name for schema in llm.requests[0].tools}
    assert {"local_time", "add", "weather", "end_call"} <= offered
    (finished,) = of_type(done.events, ToolFinished)
    assert (finished.name, finished.status, finished.result) == ("add", ToolStatus.OK, "5")
    (status,) = of_type(done.events, McpServerStatus)
    assert status.status == "connected" and "add" in status.tools
    tool_messages = [m.content for m in done.session.context.messages if m.role is Role.TOOL]
    assert tool_messages == ["5"]
