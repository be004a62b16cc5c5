"""A real uvicorn serving the Parley app on 127.0.0.1 (a free port), in the test's event loop (asyncio)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import anyio
import uvicorn
from starlette.applications import Starlette

from pipeline.server.app import ServerContext, create_app
from pipeline.server.options import ServeOptions
from pipeline.session.pipeline import Pipeline
from tests.conversation import make_pipeline
from tests.doubles import FakeTts, ScriptedLlm, ScriptedStt

TOKEN = "test-token-1234"


@dataclass
class RunningServer:
    app: Starlette
    port: int

    @property
    def context(self) -> ServerContext:
        context = self.app.state.context
        assert isinstance(context, ServerContext)
        return context

    def url(self, path: str = "/ws", token: str | None = TOKEN) -> str:
        query = f"?token={token}" if token is not None else ""
        return f"ws://127.0.0.1:{self.port}{path}{query}"

    def http(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def simple_pipeline(replies: list[str] | None = None) -> Pipeline:
    return make_pipeline(
        ScriptedStt(["hello there"] * 20),
        ScriptedLlm(replies or ["Hi, how can I help?"] * 20, token_interval=0.01),
        FakeTts(seconds_per_char=0.02),
    )


@asynccontextmanager
async def running_server(pipeline: Pipeline | None = None, **overrides: Any) -> AsyncIterator[RunningServer]:
    options = replace(ServeOptions(token=TOKEN), **overrides)
    app = create_app(pipeline or simple_pipeline(), options)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan="on", log_level="warning", ws_max_size=options.max_message_bytes + 1024
    )
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve, [sock])
        with anyio.fail_after(10):
            while not server.started:
                await anyio.sleep(0.01)
        try:
            yield RunningServer(app, port)
        finally:
            server.should_exit = True
    sock.close()
