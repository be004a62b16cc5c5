"""Observers for on/off benchmark runs, chosen by ``PARLEY_BENCH_OBSERVE`` (so worker processes inherit it):
``none`` (no observer), ``default`` (what a Pipeline has: metrics; traces skipped without an SDK), ``traced``
(metrics + traces through the OpenTelemetry SDK to an exporter that discards them)."""

from __future__ import annotations

import functools
import os
from typing import Any


@functools.cache
def _sdk_provider() -> Any:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Discard(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Discard()))
    return provider


def bench_observers(kind: str | None = None) -> list[Any] | None:
    """The observers for ``kind`` (default: the environment); None means the Pipeline's defaults."""
    kind = kind or os.environ.get("PARLEY_BENCH_OBSERVE", "default")
    if kind == "default":
        return None
    if kind == "none":
        return []
    if kind == "traced":
        from pipeline.observe.prometheus import default_metrics
        from pipeline.observe.tracing import CallTracer

        return [default_metrics(), CallTracer(_sdk_provider())]
    raise ValueError(f"PARLEY_BENCH_OBSERVE must be none, default or traced, got {kind!r}")
