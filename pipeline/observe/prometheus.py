"""Prometheus metrics of every session, driven from its events (one bus subscriber per session; nothing in the
pipeline calls into this module).

Exposition: ``metrics.exposition()`` (bytes, with ``CONTENT_TYPE``), ``metrics.asgi_app()`` (mount at
``/metrics``) or ``metrics.serve(port)`` (a thread serving 127.0.0.1:port for an embedding application).

Autoscaling: ``parley_active_sessions`` is the number of calls a worker is carrying right now. Scale the
workers on its per-pod average (Kubernetes HPA with a Pods metric through prometheus-adapter, target about 70%
of the calls one worker carries with voice-to-voice p95 in budget — measure that with the capacity
benchmark), never on CPU: a voice worker is latency-bound well before its CPU is full.

Pre-forked workers: each process holds its own values, so one scrape of a shared port would see one worker. Set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory in the parent before the workers start (and call
``prometheus_client.multiprocess.mark_process_dead(pid)`` when a worker exits): every worker's exposition is then
the sum over all live workers (``parley_active_sessions`` as ``livesum``). The VAD batch counters are per process
and are left out in that mode.
"""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Protocol

import anyio
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, make_asgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from pipeline.observe.bus import EventBus
from pipeline.observe.events import (
    ErrorEvent,
    Event,
    FramesDropped,
    Interruption,
    ProviderAvailabilityChanged,
    SessionEnded,
    SessionStarted,
    ToolFinished,
    TurnMetrics,
)
from pipeline.observe.observer import CallInfo

CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
ACTIVE_SESSIONS = "parley_active_sessions"  # the autoscaling signal; its name is a contract with deployments

# Voice-to-voice lives between ~0.3 s (great) and a few seconds (broken); the parts start far lower.
LATENCY_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 10.0)
PART_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
TURN_PARTS = (
    "endpointing",
    "stt_wait",
    "llm_ttft",
    "tool_time",
    "llm_first_sentence",
    "tts_ttfb",
    "overhead",
)


class HasBatchStats(Protocol):
    def stats(self) -> Any: ...


class PrometheusMetrics:
    """Counters, gauges and histograms of all sessions it is attached to (see the module docstring)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.active_sessions = Gauge(
            ACTIVE_SESSIONS, "Sessions (calls) running now", registry=r, multiprocess_mode="livesum"
        )
        self.sessions = Counter("parley_sessions", "Sessions ended, by end reason", ["reason"], registry=r)
        self.voice_to_voice = Histogram(
            "parley_voice_to_voice_seconds",
            "User stopped speaking -> first agent audio out, per turn",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.turn_part = Histogram(
            "parley_turn_part_seconds",
            "Critical-path parts of a turn's voice-to-voice latency (they add up to it)",
            ["part"],
            buckets=PART_BUCKETS,
            registry=r,
        )
        self.provider_errors = Counter(
            "parley_provider_errors",
            "Errors by source (provider or stage) and code",
            ["provider", "code"],
            registry=r,
        )
        self.reconnects = Counter(
            "parley_provider_reconnects",
            "Provider reconnect attempts, and providers of a fallback list available again",
            ["provider"],
            registry=r,
        )
        self.frames_dropped = Counter(
            "parley_frames_dropped",
            "Audio frames dropped because the pipeline fell behind",
            ["channel"],
            registry=r,
        )
        self.interruptions = Counter(
            "parley_interruptions", "Times the agent yielded to the caller", registry=r
        )
        self.tool_calls = Counter(
            "parley_tool_calls", "Tool calls by tool and status", ["tool", "status"], registry=r
        )
        self.event_loop_lag = Histogram(
            "parley_event_loop_lag_seconds",
            "Delay between an event being emitted and a subscriber running (and of the lag probe, when run)",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self._vad = _VadBatchCollector()
        r.register(self._vad)
        self._reconnect_counter = _ReconnectCounter(self.reconnects)
        logging.getLogger("providers").addHandler(self._reconnect_counter)

    def close(self) -> None:
        """Stop counting provider reconnects (they are read from the providers' log records)."""
        logging.getLogger("providers").removeHandler(self._reconnect_counter)

    # --- sessions -------------------------------------------------------------------------------------------

    def attach(self, call: CallInfo, bus: EventBus) -> _SessionGauge:
        gauge = _SessionGauge(self.active_sessions)
        drops: dict[str, int] = {}
        handle = self._handler(bus.now, gauge, drops)
        bus.on(handle)
        return gauge

    def _handler(
        self, now: Callable[[], float], gauge: _SessionGauge, drops: dict[str, int]
    ) -> Callable[[Any], Any]:
        async def on_event(
            event: SessionStarted
            | SessionEnded
            | TurnMetrics
            | ErrorEvent
            | FramesDropped
            | ProviderAvailabilityChanged
            | Interruption
            | ToolFinished,
        ) -> None:
            self.observe(event, gauge, drops)
            self.event_loop_lag.observe(max(0.0, now() - event.timestamp))

        return on_event

    def observe(self, event: Event, gauge: _SessionGauge, drops: dict[str, int]) -> None:
        match event:
            case SessionStarted():
                gauge.started()
            case SessionEnded():
                self.sessions.labels(reason=event.reason).inc()
                gauge.ended()
            case TurnMetrics():
                self.voice_to_voice.observe(event.voice_to_voice)
                for part in TURN_PARTS:
                    self.turn_part.labels(part=part).observe(max(0.0, getattr(event, part)))
            case ErrorEvent():
                provider = event.source.split(":", 1)[0]
                self.provider_errors.labels(provider=provider, code=event.code).inc()
            case FramesDropped():
                before = drops.get(event.channel, 0)
                if event.total > before:
                    self.frames_dropped.labels(channel=event.channel).inc(event.total - before)
                    drops[event.channel] = event.total
            case ProviderAvailabilityChanged() if event.available:
                self.reconnects.labels(provider=event.provider).inc()
            case Interruption():
                self.interruptions.inc()
            case ToolFinished():
                self.tool_calls.labels(tool=event.name, status=event.status.value).inc()

    # --- other sources --------------------------------------------------------------------------------------

    def watch_vad(self, vad: object) -> None:
        """Export the batch statistics of a batched VAD engine (others are ignored)."""
        if callable(getattr(vad, "stats", None)):
            self._vad.engines.add(vad)

    async def probe_event_loop_lag(self, interval: float = 0.5) -> None:
        """Run forever in a server's task group: how late a sleep of ``interval`` wakes up."""
        while True:
            before = anyio.current_time()
            await anyio.sleep(interval)
            self.event_loop_lag.observe(max(0.0, anyio.current_time() - before - interval))

    # --- exposition -----------------------------------------------------------------------------------------

    def exposition_registry(self) -> CollectorRegistry:
        """What a scrape reads: this registry, or in multiprocess mode the sum over all worker processes."""
        if not os.environ.get(MULTIPROCESS_DIR):
            return self.registry
        from prometheus_client import multiprocess

        combined = CollectorRegistry()
        multiprocess.MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
        return combined

    def exposition(self) -> bytes:
        """The text exposition format (serve it with ``CONTENT_TYPE``)."""
        return generate_latest(self.exposition_registry())

    def asgi_app(self) -> Callable[[Any, Any, Any], Awaitable[None]]:
        """An ASGI app serving the exposition (mount it at ``/metrics``)."""
        app: Callable[[Any, Any, Any], Awaitable[None]] = make_asgi_app(self.exposition_registry())
        return app

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """Serve ``/metrics`` from a daemon thread (for an application that embeds Parley without a server)."""
        from prometheus_client import start_http_server

        start_http_server(port, addr=host, registry=self.exposition_registry())


class _ReconnectCounter(logging.Handler):
    """Providers log each reconnect attempt with ``extra={"parley_event": "reconnect", "provider": ...}``
    (they sit below the event bus); this handler turns those records into ``parley_provider_reconnects``."""

    def __init__(self, counter: Counter) -> None:
        super().__init__(logging.NOTSET)
        self._counter = counter

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "parley_event", None) == "reconnect":
            self._counter.labels(provider=str(getattr(record, "provider", "unknown"))).inc()


class _SessionGauge:
    """Counts the session in ``parley_active_sessions`` from its start until it ends — or, if it is torn
    down without ending (cancelled, crashed), until it closes. Also the session's (silent) audio tap."""

    def __init__(self, gauge: Gauge) -> None:
        self._gauge = gauge
        self._counted = False

    def started(self) -> None:
        if not self._counted:
            self._counted = True
            self._gauge.inc()

    def ended(self) -> None:
        if self._counted:
            self._counted = False
            self._gauge.dec()

    def caller(self, frame: object) -> None:
        pass

    def agent(self, frame: object) -> None:
        pass

    def close(self) -> None:
        self.ended()


class _VadBatchCollector(Collector):
    def __init__(self) -> None:
        self.engines: weakref.WeakSet[Any] = weakref.WeakSet()

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        batches = CounterMetricFamily("parley_vad_batches", "Batched VAD model calls")
        rows = CounterMetricFamily(
            "parley_vad_batch_rows", "VAD windows run in batches (rows/batches = mean size)"
        )
        largest = GaugeMetricFamily("parley_vad_batch_size_max", "Largest VAD batch so far")
        stats = [engine.stats() for engine in list(self.engines)]
        batches.add_metric([], sum(s.batches for s in stats))
        rows.add_metric([], sum(s.rows for s in stats))
        largest.add_metric([], max((s.max_rows for s in stats), default=0))
        yield from (batches, rows, largest)


_default: PrometheusMetrics | None = None


def default_metrics() -> PrometheusMetrics:
    """The process-wide metrics (on prometheus_client's global registry, so ``/metrics`` of any exporter in
    the process shows them)."""
    global _default
    if _default is None:
        from prometheus_client import REGISTRY

        _default = PrometheusMetrics(REGISTRY)
    return _default
