"""OpenTelemetry traces built from a call's events: the span tree of a call with a tool call and a barge-in,
and nothing at all without an SDK."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from pipeline.observe.events import (
    AgentStoppedSpeaking,
    Interruption,
    LlmMetrics,
    SessionStarted,
    ToolFinished,
    TtsMetrics,
    TurnMetrics,
)
from pipeline.observe.tracing import CallTracer, sdk_configured
from tests.conversation import of_type
from tests.observed_call import run_weather_call

pytestmark = pytest.mark.anyio


def seconds(span: ReadableSpan, origin: int) -> tuple[float, float]:
    assert span.start_time is not None and span.end_time is not None
    return (span.start_time - origin) / 1e9, (span.end_time - origin) / 1e9


async def test_span_tree_of_a_call_with_a_tool_call_and_a_barge_in() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    done = await run_weather_call([CallTracer(provider)])

    spans = exporter.get_finished_spans()
    (root,) = [s for s in spans if s.name == "parley.call"]
    assert root.parent is None
    assert all(s.context.trace_id == root.context.trace_id for s in spans)  # one trace per call
    assert root.attributes["parley.session.id"] == done.session.id
    assert root.attributes["parley.config"] == "weather-test"
    assert root.attributes["parley.end_reason"] == "ended"
    turns = sorted(
        (s for s in spans if s.name == "parley.turn"), key=lambda s: s.attributes["parley.turn.id"]
    )
    assert [t.attributes["parley.turn.id"] for t in turns] == [1, 2]
    assert all(t.parent.span_id == root.context.span_id for t in turns)

    def children(turn: ReadableSpan) -> list[str]:
        return sorted(s.name for s in spans if s.parent and s.parent.span_id == turn.context.span_id)

    assert children(turns[0]) == sorted(
        [
            "parley.endpointing",
            "parley.stt_wait",
            "chat test",
            "execute_tool get_weather",
            "chat test",
            "parley.tts",
            "parley.interruption",
        ]
    )
    assert children(turns[1]) == sorted(["parley.endpointing", "parley.stt_wait", "chat test", "parley.tts"])

    # Attributes and times come from the events, on the session clock.
    (started,) = of_type(done.events, SessionStarted)
    origin = root.start_time - round(started.timestamp * 1e9)
    llm_events = of_type(done.events, LlmMetrics)
    llm_spans = sorted((s for s in spans if s.name == "chat test"), key=lambda s: s.start_time)
    assert len(llm_spans) == len(llm_events) == 3
    for span, event in zip(
        llm_spans, sorted(llm_events, key=lambda e: e.timestamp - e.duration), strict=True
    ):
        assert span.attributes["gen_ai.operation.name"] == "chat"
        assert span.attributes["gen_ai.request.model"] == event.model
        assert span.attributes["gen_ai.response.time_to_first_token"] == pytest.approx(event.ttft)
        assert seconds(span, origin)[1] == pytest.approx(event.timestamp, abs=1e-6)
    (tool_span,) = [s for s in spans if s.name == "execute_tool get_weather"]
    (tool_done,) = of_type(done.events, ToolFinished)
    assert tool_span.attributes["gen_ai.tool.name"] == "get_weather"
    assert tool_span.attributes["gen_ai.tool.call.arguments"] == '{"city":"Paris"}'
    assert tool_span.attributes["gen_ai.tool.call.result"] == tool_done.result
    tts_spans = [s for s in spans if s.name == "parley.tts"]
    assert sorted(s.attributes["parley.tts.characters"] for s in tts_spans) == sorted(
        e.characters for e in of_type(done.events, TtsMetrics)
    )
    first_turn_metrics = of_type(done.events, TurnMetrics)[0]
    (endpointing,) = [
        s for s in spans if s.name == "parley.endpointing" and s.parent.span_id == turns[0].context.span_id
    ]
    start, end = seconds(endpointing, origin)
    assert end - start == pytest.approx(first_turn_metrics.endpointing, abs=1e-6)
    (interruption_span,) = [s for s in spans if s.name == "parley.interruption"]
    (interruption,) = of_type(done.events, Interruption)
    heard = of_type(done.events, AgentStoppedSpeaking)[0].heard_text
    assert interruption_span.attributes["parley.heard_text"] == heard
    assert seconds(interruption_span, origin)[1] == pytest.approx(interruption.timestamp, abs=1e-6)


async def test_no_spans_and_no_subscription_without_an_sdk() -> None:
    assert not sdk_configured()  # nothing in the test process sets a global provider
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    tracer = CallTracer()
    from pipeline.observe.bus import EventBus
    from pipeline.observe.observer import CallInfo

    bus = EventBus("s1")
    assert tracer.attach(CallInfo("s1"), bus) is None
    assert bus.subscriber_count == 0  # zero cost: the tracer does not even listen
    done = await run_weather_call([tracer])
    assert of_type(done.events, TurnMetrics)
