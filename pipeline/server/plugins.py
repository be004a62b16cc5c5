"""Where the other parts of the server plug in (one line each, so they merge without conflicts):
the telephony webhooks and media streams, the browser playground at ``/`` (last: it mounts ``/``), and a
Prometheus ``/metrics`` app."""

from __future__ import annotations

from starlette.types import ASGIApp

from pipeline.server.app import RouteFactory


def extra_route_factories() -> list[RouteFactory]:
    factories: list[RouteFactory] = []
    # telephony (POST /twilio /plivo /telnyx and their stream routes): factories.append(...)
    # playground (GET /, static files; must be last): factories.append(...)
    return factories


def metrics_app() -> ASGIApp | None:
    """A Prometheus ASGI app for /metrics; None keeps the built-in active-sessions gauge."""
    return None
