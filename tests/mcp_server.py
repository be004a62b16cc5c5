"""A real MCP server built with the official SDK, for the MCP tests: run as a subprocess over stdio
(``python -m tests.mcp_server stdio``) or streamable HTTP on 127.0.0.1 (``... http PORT``).

Tools: ``add`` (a sum), ``weather`` (structured), ``broken`` (fails), ``slow`` (sleeps, and notes in a marker file
whether it finished or was cancelled), ``lookup`` (reports progress), ``die`` (the process exits mid-call)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import anyio
from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("parley-test")
MARKER = os.environ.get("PARLEY_MCP_MARKER")


def _mark(text: str) -> None:
    if MARKER:
        with Path(MARKER).open("a", encoding="utf-8") as marker:
            marker.write(text + "\n")


@server.tool()
def add(a: int, b: int) -> str:
    """Add two numbers."""
    return str(a + b)


@server.tool()
def weather(city: str) -> dict[str, object]:
    """The weather in a city."""
    return {"city": city, "celsius": 21}


@server.tool()
def broken(reason: str = "") -> str:
    """Always fails."""
    raise ValueError(f"the database is down {reason}".strip())


@server.tool()
async def slow(seconds: float) -> str:
    """Waits, then answers."""
    _mark("slow started")
    try:
        await anyio.sleep(seconds)
    except BaseException:
        _mark("slow cancelled")
        raise
    _mark("slow finished")
    return "done"


@server.tool()
async def lookup(query: str, ctx: Context) -> str:
    """Looks something up, reporting progress."""
    await ctx.report_progress(1, 2, "Looking it up.")
    await anyio.sleep(0.2)
    return f"found {query}"


@server.tool()
def die() -> str:
    """The server process exits in the middle of the call."""
    time.sleep(0.2)
    os._exit(3)


if __name__ == "__main__":
    if sys.argv[1] == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
