"""The telephony routes when the ``phone`` extra is installed; without it (a plain ``pip install parley``), one
log line at startup and a 404 naming the extra at ``/twilio``, ``/plivo``, ``/telnyx`` and below them, so a
platform's webhook log says what to install (rather than the playground's 405 for a POST to ``/``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Receive, Scope, Send

from pipeline.base.extras import MissingExtraError
from pipeline.server.app import RouteFactory, ServerContext

log = logging.getLogger(__name__)
PHONE_PATHS = ("/twilio", "/plivo", "/telnyx")
WEBSOCKET_POLICY_VIOLATION = 1008


def phone_routes() -> RouteFactory:
    """The telephony routes, or (without the phone extra) the 404s that name it."""
    try:
        from pipeline.server.telephony import telephony_routes
    except MissingExtraError as missing:
        log.warning(
            "telephony routes off: %s are served after pip install 'parley[%s]' (%s is not installed)",
            ", ".join(PHONE_PATHS),
            missing.extra,
            missing.missing,
        )
        return PhoneRoutesOff(missing).routes
    return telephony_routes


class PhoneRoutesOff:
    """An ASGI app answering 404 (HTTP) or closing (WebSocket) with the missing extra's name."""

    def __init__(self, missing: MissingExtraError) -> None:
        self.message = f"telephony is off in this server: {missing}\n"

    def routes(self, context: ServerContext) -> Sequence[BaseRoute]:
        exact = [Route(path, endpoint=self) for path in PHONE_PATHS]  # any method
        return [*exact, *(Mount(path, app=self) for path in PHONE_PATHS)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send(
                {"type": "websocket.close", "code": WEBSOCKET_POLICY_VIOLATION, "reason": "phone extra"}
            )
            return
        await PlainTextResponse(self.message, status_code=404)(scope, receive, send)
