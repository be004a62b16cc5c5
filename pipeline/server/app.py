"""The ASGI application: ``/ws`` (PROTOCOL.md), ``/healthz``, ``/readyz``, ``POST /drain`` (loopback only) and
the hooks where the playground, the telephony routes and ``/metrics`` plug in.

    app = create_app(pipeline, ServeOptions(...))
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import ASGIApp
from starlette.websockets import WebSocket

from pipeline.server.lifecycle import ServerLifecycle
from pipeline.server.options import ServeOptions
from pipeline.server.ws_call import PipelineForCall, serve_ws_call
from pipeline.session.pipeline import Pipeline

log = logging.getLogger("parley.server")

ACTIVE_SESSIONS_METRIC = "parley_active_sessions"  # the gauge /metrics exports and the HPA scales on
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
WS_PATH = "/ws"
METRICS_PATH = "/metrics"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@dataclass
class ServerContext:
    """What every route of the server shares (one per worker process)."""

    pipeline: Pipeline
    options: ServeOptions
    lifecycle: ServerLifecycle


RouteFactory = Callable[[ServerContext], Sequence[BaseRoute]]


def create_app(
    pipeline: Pipeline,
    options: ServeOptions,
    *,
    extra_routes: Sequence[RouteFactory] = (),
    metrics_app: ASGIApp | None = None,
    pipeline_for_call: PipelineForCall | None = None,
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
) -> Starlette:
    """The server for ``pipeline``. ``extra_routes`` add routes (the telephony webhooks and streams, the
    playground at ``/`` — a ``Mount("/")`` must come last); ``metrics_app`` is mounted at ``/metrics``
    (without it, ``/metrics`` reports the active-sessions gauge in the Prometheus text format).
    ``pipeline_for_call`` picks the pipeline of each ``/ws`` call from its ``start`` message (default: ``pipeline``
    for every call). ``background`` tasks run while the server does (e.g. the event-loop lag probe)."""
    lifecycle = ServerLifecycle(max_sessions=options.max_sessions, drain_deadline=options.drain_deadline)
    context = ServerContext(pipeline, options, lifecycle)

    async def websocket_call(websocket: WebSocket) -> None:
        await serve_ws_call(
            websocket, pipeline_for_call or (lambda start: pipeline), context.options, context.lifecycle
        )

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> Response:
        body = {
            "ready": lifecycle.ready,
            "phase": lifecycle.phase.value,
            "active_sessions": lifecycle.active_sessions,
            "max_sessions": lifecycle.max_sessions,
        }
        return JSONResponse(body, status_code=200 if lifecycle.ready else 503)

    async def drain(request: Request) -> Response:
        if request.client is None or request.client.host not in LOOPBACK:
            return PlainTextResponse("forbidden", status_code=403)
        lifecycle.request_drain_everywhere()
        return PlainTextResponse("draining", status_code=202)

    async def metrics(request: Request) -> Response:
        text = (
            f"# HELP {ACTIVE_SESSIONS_METRIC} Calls in progress in this worker.\n"
            f"# TYPE {ACTIVE_SESSIONS_METRIC} gauge\n"
            f"{ACTIVE_SESSIONS_METRIC} {lifecycle.active_sessions}\n"
        )
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    routes: list[BaseRoute] = [
        WebSocketRoute(WS_PATH, websocket_call),
        Route(HEALTH_PATH, healthz),
        Route(READY_PATH, readyz),
        Route("/drain", drain, methods=["POST"]),
        Mount(METRICS_PATH, metrics_app) if metrics_app is not None else Route(METRICS_PATH, metrics),
    ]
    for factory in extra_routes:
        routes.extend(factory(context))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if options.token is None:
            log.warning("PARLEY_TOKEN is not set: /ws accepts every connection")
        async with anyio.create_task_group() as group:
            group.start_soon(lifecycle.run)
            for task in background:
                group.start_soon(task)
            yield
            group.cancel_scope.cancel()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.context = context
    return app
