"""One ``/ws`` call from handshake to close: auth, admission (the session limit, draining), the ``start``
message, the session over a ``WebSocketTransport``, and a close code that says how it ended. Nothing the call
raises reaches the server: a failing call is logged (never with its token) and closed with 1011."""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio
from starlette.websockets import WebSocket, WebSocketState

from pipeline.server.auth import authorized
from pipeline.server.lifecycle import Admission, ServerLifecycle
from pipeline.server.options import ServeOptions
from pipeline.server.protocol import (
    CLOSE_BUSY,
    CLOSE_IDLE,
    CLOSE_INTERNAL_ERROR,
    CLOSE_TOO_BIG,
    CLOSE_UNAUTHORIZED,
    ProtocolViolation,
    Start,
    parse_start,
    ready_message,
)
from pipeline.server.ws_transport import WebSocketTransport
from pipeline.session.pipeline import Pipeline
from pipeline.transports.link import connect
from pipeline.transports.transport import CALLER_HUNG_UP

log = logging.getLogger("parley.server")


PipelineForCall = Callable[[Start], Pipeline]


async def serve_ws_call(
    websocket: WebSocket, pipelines: PipelineForCall, options: ServeOptions, lifecycle: ServerLifecycle
) -> None:
    await websocket.accept()
    if not authorized(websocket, options.token):
        await _close(websocket, CLOSE_UNAUTHORIZED, "missing or wrong token")
        return
    handle = _CallHandle()
    admission, call_id = lifecycle.admit(handle.stop)
    if admission is not Admission.ADMITTED:
        await _close(websocket, CLOSE_BUSY, admission.value)
        return
    try:
        start = await _receive_start(websocket, options)
        if start is None:
            return
        pipeline = pipelines(start)
        transport = WebSocketTransport(
            websocket, start, options, pipeline_rate=pipeline.settings.audio.sample_rate
        )
        handle.transport = transport
        await _run_session(websocket, pipeline, transport, start)
    except Exception:
        log.exception("call failed")
        await _close(websocket, CLOSE_INTERNAL_ERROR, "internal error")
    finally:
        lifecycle.release(call_id)


class _CallHandle:
    """How the server stops a call (a shutdown past the drain deadline), before and after its ``start``."""

    def __init__(self) -> None:
        self.transport: WebSocketTransport | None = None

    def stop(self) -> None:
        if self.transport is not None:
            self.transport.stop()


async def _receive_start(websocket: WebSocket, options: ServeOptions) -> Start | None:
    with anyio.move_on_after(options.start_timeout):
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None
        try:
            text = message.get("text")
            if not isinstance(text, str):
                raise ProtocolViolation("the first message must be the JSON 'start' message")
            if len(text) > options.max_message_bytes:
                raise ProtocolViolation("message too big", CLOSE_TOO_BIG)
            return parse_start(text)
        except ProtocolViolation as violation:
            await _close(websocket, violation.code, violation.reason)
            return None
    await _close(websocket, CLOSE_IDLE, "no start message")
    return None


async def _run_session(
    websocket: WebSocket, pipeline: Pipeline, transport: WebSocketTransport, start: Start
) -> None:
    session = pipeline.session(metadata={key: str(value) for key, value in start.metadata.items()})
    events = session.events()
    forwarded = anyio.Event()

    async def forward_events() -> None:
        try:
            await transport.forward_events(events)
        finally:
            forwarded.set()

    async with anyio.create_task_group() as io:
        io.start_soon(transport.write_loop)
        async with session:
            transport.queue_text(ready_message(session.id, start, pipeline.settings.audio.frame_ms))
            io.start_soon(forward_events)
            end = await connect(session, transport)
        log.info("call %s ended: %s", session.id, end.reason)
        if not transport.writer_failed and end.reason != CALLER_HUNG_UP:
            with anyio.move_on_after(1.0):
                await forwarded.wait()  # the last events (session_ended) reach the client before the close
            await transport.flush()
        io.cancel_scope.cancel()
    # answer the caller's close handshake too (or the client waits for it until its own timeout)
    await _close(websocket, transport.close_code, transport.close_reason)


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state is WebSocketState.DISCONNECTED:
        return
    try:
        await websocket.close(code, reason)
    except Exception:  # the client went away meanwhile
        log.debug("close after the client left", exc_info=True)
