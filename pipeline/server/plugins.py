"""Where the other parts of the server plug in (one line each, so they merge without conflicts):
the telephony webhooks and media streams, the browser playground at ``/`` (last: it mounts ``/``), and a
Prometheus ``/metrics`` app."""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp

from pipeline.server.app import RouteFactory, ServerContext
from pipeline.session.pipeline import Pipeline


def extra_route_factories() -> list[RouteFactory]:
    factories: list[RouteFactory] = []
    from pipeline.server.phone_routes import phone_routes

    factories.append(phone_routes())  # POST /twilio /plivo /telnyx, their streams (404s without the extra)
    factories.append(recent_calls_routes)  # GET /calls/ (HTML), /calls/calls.json, /calls/<id>.json
    from pipeline.server.playground import playground_routes

    factories.append(playground_routes)  # GET / and its static files; must be last (it mounts /)
    return factories


def metrics_app() -> ASGIApp | None:
    """A Prometheus ASGI app for /metrics; None keeps the built-in active-sessions gauge."""
    from pipeline.observe.prometheus import default_metrics

    return (
        default_metrics().asgi_app()
    )  # parley_active_sessions and the rest (pipeline/observe/prometheus.py)


def background_tasks() -> list[Callable[[], Coroutine[Any, Any, None]]]:
    """What runs beside the calls in each worker: the event-loop lag probe (``parley_event_loop_lag_seconds``)."""
    from pipeline.observe.prometheus import default_metrics

    return [default_metrics().probe_event_loop_lag]


def calls_db() -> str:
    return os.environ.get("PARLEY_CALLS_DB", "runs/calls.db")


def recent_calls_routes(context: ServerContext) -> Sequence[BaseRoute]:
    """The read-only recent-calls page the playground links to."""
    from pipeline.records.connect import open_store
    from pipeline.records.web import recent_calls_app

    return [Mount("/calls", app=recent_calls_app(open_store(calls_db())))]


def observe(pipeline: Pipeline) -> None:
    """In each worker: logging as the command line asked (``PARLEY_LOG_LEVEL``/``PARLEY_LOG_FORMAT``), and a
    record of every call in ``PARLEY_CALLS_DB`` (SQLite path or postgresql:// URL), with its recording in
    ``PARLEY_RECORDINGS`` when ``PARLEY_RECORDING`` is on, caller or agent (default off)."""
    from pipeline.observe.logs import configure_logging
    from pipeline.records.connect import open_store
    from pipeline.records.observer import CallRecords

    configure_logging(
        os.environ.get("PARLEY_LOG_LEVEL", "warning"), os.environ.get("PARLEY_LOG_FORMAT", "text")
    )
    pipeline.observers.append(
        CallRecords(
            open_store(calls_db()),
            recordings=os.environ.get("PARLEY_RECORDINGS", "runs/recordings"),
            mode=os.environ.get("PARLEY_RECORDING", "off"),
            sample_rate=pipeline.settings.audio.sample_rate,
        )
    )
