"""OpenTelemetry traces of calls, built from the session's events after the fact: one trace per call (span
``parley.call``), a span per turn, and under it the endpointing, the STT wait, each LLM request, each tool call,
the TTS of each speech and the interruption. Span times come from the session clock (event timestamps), so a
virtual-time call gives exact spans. Attributes follow the OpenTelemetry GenAI semantic conventions where they
exist (``gen_ai.*``), ``parley.*`` otherwise.

Zero cost without an SDK: when the global tracer provider is OpenTelemetry's default (no-op or proxy), the
tracer does not even subscribe to the session's events. Install the ``otel`` extra and set a provider (for
instance ``opentelemetry-instrument`` or ``TracerProvider`` + OTLP exporter) to get traces.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer, TracerProvider

from pipeline.observe.bus import EventBus
from pipeline.observe.events import (
    AgentStartedSpeaking,
    AgentStoppedSpeaking,
    EndOfUserTurn,
    ErrorEvent,
    Event,
    Interruption,
    LlmMetrics,
    SessionEnded,
    SessionStarted,
    ToolFinished,
    ToolStarted,
    ToolStatus,
    TtsMetrics,
    TurnMetrics,
    UserStartedSpeaking,
)
from pipeline.observe.observer import AudioTap, CallInfo

INSTRUMENTATION = "parley"
# Only what the spans are built from (each subscribed type costs a queue put per event).
TracedEvent = (
    SessionStarted
    | SessionEnded
    | ErrorEvent
    | EndOfUserTurn
    | UserStartedSpeaking
    | AgentStartedSpeaking
    | AgentStoppedSpeaking
    | LlmMetrics
    | TtsMetrics
    | ToolStarted
    | ToolFinished
    | Interruption
    | TurnMetrics
)


def sdk_configured(provider: TracerProvider | None = None) -> bool:
    """False for OpenTelemetry's default providers (nothing would record the spans)."""
    provider = provider or trace.get_tracer_provider()
    return not isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider)


class CallTracer:
    """A session observer that makes one trace per call (see the module docstring)."""

    def __init__(self, tracer_provider: TracerProvider | None = None) -> None:
        self._provider = tracer_provider

    def attach(self, call: CallInfo, bus: EventBus) -> AudioTap | None:
        if not sdk_configured(self._provider):
            return None
        provider = self._provider or trace.get_tracer_provider()
        builder = _TraceBuilder(provider.get_tracer(INSTRUMENTATION), call, bus)
        bus.on(builder.on_event)
        return None


@dataclass
class _Turn:
    events: list[Event] = field(default_factory=list)


class _TraceBuilder:
    def __init__(self, tracer: Tracer, call: CallInfo, bus: EventBus) -> None:
        self._tracer = tracer
        self._call = call
        self._bus = bus
        self._epoch_ns = 0  # wall-clock nanoseconds at session time 0
        self._root: Span | None = None
        self._context: Context | None = None
        self._turns: defaultdict[int, _Turn] = defaultdict(_Turn)
        self._errors = 0

    def _ns(self, session_time: float) -> int:
        return self._epoch_ns + round(session_time * 1e9)

    async def on_event(self, event: TracedEvent) -> None:
        if isinstance(event, SessionStarted):
            self._start(event)
        elif self._root is None:
            return
        elif isinstance(event, SessionEnded):
            self._end(event)
        else:
            if isinstance(event, ErrorEvent):
                self._errors += 1
                self._root.add_event(
                    "error",
                    {
                        "parley.error.source": event.source,
                        "error.type": event.code,
                        "parley.error.message": event.message,
                    },
                    self._ns(event.timestamp),
                )
            if event.turn_id is not None:
                self._turns[event.turn_id].events.append(event)
            if isinstance(event, EndOfUserTurn) and event.turn_id is not None:
                for turn_id in sorted(t for t in self._turns if t <= event.turn_id - 2):
                    self._emit_turn(turn_id, self._turns.pop(turn_id))

    def _start(self, event: SessionStarted) -> None:
        self._epoch_ns = time.time_ns() - round(self._bus.now() * 1e9)
        attributes: dict[str, str | int] = {
            "parley.session.id": self._call.session_id,
            "parley.sample_rate": event.sample_rate,
        }
        if self._call.config_name:
            attributes["parley.config"] = self._call.config_name
        for key, value in self._call.metadata.items():
            attributes[f"parley.call.{key}"] = value
        for kind, name in event.providers.items():
            attributes[f"parley.provider.{kind}"] = name
        self._root = self._tracer.start_span(
            "parley.call", kind=SpanKind.SERVER, attributes=attributes, start_time=self._ns(event.timestamp)
        )
        self._context = trace.set_span_in_context(self._root)

    def _end(self, event: SessionEnded) -> None:
        assert self._root is not None
        for turn_id in sorted(self._turns):
            self._emit_turn(turn_id, self._turns[turn_id])
        self._turns.clear()
        self._root.set_attribute("parley.end_reason", event.reason)
        if event.reason == "error":
            self._root.set_status(Status(StatusCode.ERROR, event.error or "error"))
        self._root.end(self._ns(event.timestamp))
        self._root = None

    def _emit_turn(self, turn_id: int, turn: _Turn) -> None:
        events = turn.events
        if not events:
            return
        start = min(e.timestamp for e in events)
        end = max(e.timestamp for e in events)
        metrics = next((e for e in events if isinstance(e, TurnMetrics)), None)
        first_audio = next((e for e in events if isinstance(e, AgentStartedSpeaking)), None)
        user_stopped = first_audio.timestamp - metrics.voice_to_voice if metrics and first_audio else None
        user_started = next((e for e in events if isinstance(e, UserStartedSpeaking)), None)
        if user_started is not None:
            start = min(start, user_started.timestamp)
        attributes: dict[str, str | int | float | bool] = {"parley.turn.id": turn_id}
        eot = next((e for e in events if isinstance(e, EndOfUserTurn)), None)
        if eot is not None:
            attributes["parley.turn.transcript"] = eot.transcript
            attributes["parley.turn.decided_by"] = eot.reason
        if metrics is not None:
            attributes["parley.turn.voice_to_voice"] = metrics.voice_to_voice
            attributes["parley.turn.overhead"] = metrics.overhead
        span = self._tracer.start_span(
            "parley.turn", context=self._context, attributes=attributes, start_time=self._ns(start)
        )
        context = trace.set_span_in_context(span)
        if metrics is not None and user_stopped is not None:
            silence_met = user_stopped + metrics.endpointing
            self._child(
                context,
                "parley.endpointing",
                user_stopped,
                silence_met,
                {"parley.delay": metrics.endpointing},
            )
            self._child(
                context,
                "parley.stt_wait",
                silence_met,
                silence_met + metrics.stt_wait,
                {"parley.delay": metrics.stt_wait},
            )
        first_sentence = None
        if metrics is not None and user_stopped is not None:
            first_sentence = user_stopped + metrics.voice_to_voice - metrics.overhead - metrics.tts_ttfb
        for event in events:
            if isinstance(event, LlmMetrics):
                self._llm(context, event)
            elif isinstance(event, TtsMetrics):
                self._tts(context, event, first_sentence)
                first_sentence = None
            elif isinstance(event, ToolStarted):
                self._tool(context, event, events)
            elif isinstance(event, Interruption):
                heard = next(
                    (
                        e.heard_text
                        for e in events
                        if isinstance(e, AgentStoppedSpeaking) and e.speech_id == event.speech_id
                    ),
                    None,
                )
                attrs: dict[str, str | float] = {
                    "parley.speech.id": event.speech_id,
                    "parley.caller_speech": event.speech_duration,
                }
                if heard is not None:
                    attrs["parley.heard_text"] = heard
                self._child(
                    context,
                    "parley.interruption",
                    event.timestamp - event.speech_duration,
                    event.timestamp,
                    attrs,
                )
        span.end(self._ns(end))

    def _child(
        self,
        context: Context,
        name: str,
        start: float,
        end: float,
        attributes: dict[str, str | int | float | bool],
    ) -> Span:
        span = self._tracer.start_span(
            name, context=context, attributes=attributes, start_time=self._ns(start)
        )
        span.end(self._ns(max(start, end)))
        return span

    def _llm(self, context: Context, event: LlmMetrics) -> None:
        attributes: dict[str, str | int | float | bool] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": event.provider,
            "gen_ai.system": event.provider,
            "gen_ai.request.model": event.model,
            "gen_ai.response.time_to_first_token": event.ttft,
        }
        if event.prompt_tokens is not None:
            attributes["gen_ai.usage.input_tokens"] = event.prompt_tokens
        if event.completion_tokens is not None:
            attributes["gen_ai.usage.output_tokens"] = event.completion_tokens
        if event.tokens_per_second is not None:
            attributes["parley.llm.tokens_per_second"] = event.tokens_per_second
        span = self._tracer.start_span(
            f"chat {event.model}",
            context=context,
            kind=SpanKind.CLIENT,
            attributes=attributes,
            start_time=self._ns(event.timestamp - event.duration),
        )
        span.add_event("first_token", timestamp=self._ns(event.timestamp - event.duration + event.ttft))
        span.end(self._ns(event.timestamp))

    def _tts(self, context: Context, event: TtsMetrics, first_sentence: float | None) -> None:
        """From the first text sent (exact for the turn's first speech, from the turn's breakdown; otherwise
        estimated from the synthesis time) to the end of synthesis."""
        busy = (event.real_time_factor or 0.0) * event.audio_seconds
        start = first_sentence if first_sentence is not None else event.timestamp - max(event.ttfb, busy)
        attributes: dict[str, str | int | float | bool] = {
            "gen_ai.provider.name": event.provider,
            "gen_ai.request.model": event.model,
            "parley.tts.time_to_first_byte": event.ttfb,
            "parley.tts.characters": event.characters,
            "parley.tts.audio_seconds": event.audio_seconds,
        }
        span = self._tracer.start_span(
            "parley.tts",
            context=context,
            kind=SpanKind.CLIENT,
            attributes=attributes,
            start_time=self._ns(start),
        )
        span.add_event("first_audio", timestamp=self._ns(start + event.ttfb))
        span.end(self._ns(max(start, event.timestamp)))

    def _tool(self, context: Context, event: ToolStarted, events: list[Event]) -> None:
        finished = next(
            (e for e in events if isinstance(e, ToolFinished) and e.call_id == event.call_id), None
        )
        attributes: dict[str, str | int | float | bool] = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": event.name,
            "gen_ai.tool.call.id": event.call_id,
            "gen_ai.tool.call.arguments": event.arguments,
        }
        span = self._tracer.start_span(
            f"execute_tool {event.name}",
            context=context,
            attributes=attributes,
            start_time=self._ns(event.timestamp),
        )
        if finished is None:
            span.set_attribute("parley.tool.status", "unfinished")
            span.end(self._ns(event.timestamp))
            return
        span.set_attribute("parley.tool.status", finished.status.value)
        span.set_attribute("gen_ai.tool.call.result", finished.result)
        if finished.status is not ToolStatus.OK:
            span.set_status(Status(StatusCode.ERROR, finished.status.value))
        span.end(self._ns(finished.timestamp))
