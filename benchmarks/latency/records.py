"""One row per caller turn, read from a session's events after the run (all durations in milliseconds).

The critical-path parts come from the pipeline's ``TurnMetrics`` and add up to voice-to-voice exactly:
``endpointing + stt_wait + llm_ttft + tool_time + llm_first_sentence + tts_ttfb + overhead``.
``turn_decision`` is end of speech -> turn decided (endpointing + stt_wait); ``stt_final_delay`` (Finalize ->
final transcript) is reported beside them: it overlaps the endpointing wait, so it is not one of the parts.

Barge-in (turns that interrupt the agent): from the start of the caller's interrupting speech (the first
sample of its first frame) to the end of the last agent frame that left the pipeline, split at the
``Interruption`` event into the decision (which includes the configured minimum interruption duration) and the
stop after it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from enum import StrEnum

from benchmarks.latency.driver import SessionRun, TraceStatus, TurnTrace
from benchmarks.latency.expected import ExpectedTurn
from benchmarks.latency.observer import SessionObserver
from pipeline.observe.events import (
    AgentStartedSpeaking,
    EndOfUserTurn,
    Interruption,
    SpeechSource,
    SttMetrics,
    ToolStarted,
    TurnMetrics,
)

FRAME_MARGIN = 0.01  # s: less than one frame, more than the gap between a first frame and its event
PARTS = ("endpointing", "stt_wait", "llm_ttft", "tool_time", "llm_first_sentence", "tts_ttfb", "overhead")


class TurnStatus(StrEnum):
    OK = "ok"  # measured
    NO_TURN = "no_turn"  # the caller spoke, but the pipeline never decided the turn
    NO_REPLY = "no_reply"  # decided, but no reply audio came (failed, or interrupted before it played)
    LINE_CLOSED = "line_closed"  # the session stopped taking caller audio


_FROM_TRACE = {
    TraceStatus.DECIDED: TurnStatus.NO_REPLY,  # until its TurnMetrics are found
    TraceStatus.NO_TURN: TurnStatus.NO_TURN,
    TraceStatus.LINE_CLOSED: TurnStatus.LINE_CLOSED,
}


@dataclass
class TurnRecord:
    session: int
    turn: int
    scenario_turn: int
    caller: str
    status: TurnStatus
    turn_id: int | None = None
    voice_to_voice_ms: float | None = None
    turn_decision_ms: float | None = None
    endpointing_ms: float | None = None
    stt_wait_ms: float | None = None
    stt_final_delay_ms: float | None = None
    llm_ttft_ms: float | None = None
    tool_time_ms: float | None = None
    llm_first_sentence_ms: float | None = None
    tts_ttfb_ms: float | None = None
    overhead_ms: float | None = None
    observed_v2v_ms: float | None = None  # caller's last speech sample -> first agent frame out
    expected_v2v_ms: float | None = None  # simulated profiles: configured latencies on the critical path
    # Simulated profiles: measured - configured, per stage (v2v - expected = their sum + overhead).
    endpointing_excess_ms: float | None = None  # VAD windows and frame timing
    stt_excess_ms: float | None = None  # stt_wait - the fake's final delay (adapter, SDK, socket)
    llm_excess_ms: float | None = None  # LLM parts and tools - the fake's pacing (adapter, SDK, HTTP)
    tts_excess_ms: float | None = None  # tts_ttfb - the fake's first-byte delay (adapter, websocket)
    early_decision: bool = False  # the turn was decided before the caller's last sample (a false endpoint)
    tools_expected: str = ""
    tools_called: str = ""
    tools_ok: bool = True
    barge_in: bool = False
    interrupted: bool | None = None
    interruption_decision_ms: float | None = None  # caller onset -> Interruption event
    stop_after_decision_ms: float | None = None  # Interruption event -> end of the last agent frame
    barge_in_stop_ms: float | None = None  # caller onset -> end of the last agent frame

    @classmethod
    def columns(cls) -> list[str]:
        return [item.name for item in fields(cls)]

    def as_row(self) -> dict[str, object]:
        return asdict(self)


def _ms(seconds: float) -> float:
    return round(1000.0 * seconds, 3)


def build_records(run: SessionRun, expected: dict[int, ExpectedTurn] | None = None) -> list[TurnRecord]:
    """``expected`` maps a trace's scenario turn index to its expected latencies (simulated profiles)."""
    return [_record(run.session_index, run.observer, trace, expected or {}) for trace in run.traces]


def _record(
    session: int, observer: SessionObserver, trace: TurnTrace, expected: dict[int, ExpectedTurn]
) -> TurnRecord:
    status = _FROM_TRACE[trace.status]
    record = TurnRecord(session, trace.index, trace.scenario_turn, trace.spec.caller, status)
    record.tools_expected = " ".join(call.name for call in trace.spec.tool_calls)
    record.barge_in = trace.spec.barges_in
    target = expected.get(trace.scenario_turn)
    if target is not None:
        record.expected_v2v_ms = _ms(target.voice_to_voice)
    if trace.interrupting is not None:
        _barge_in(record, observer, trace)
    decision = trace.decision
    if decision is None:
        return record
    turn_id = decision.turn_id
    record.turn_id = turn_id
    _tools(record, observer, decision)
    metrics = observer.find(TurnMetrics, lambda event: event.turn_id == turn_id, after=decision)
    if metrics is None:
        return record
    record.status = TurnStatus.OK
    record.voice_to_voice_ms = _ms(metrics.voice_to_voice)
    record.turn_decision_ms = _ms(metrics.endpointing + metrics.stt_wait)
    for part in PARTS:
        setattr(record, f"{part}_ms", _ms(getattr(metrics, part)))
    if target is not None:
        _excess(record, metrics, target)
    if trace.utterance is not None:
        record.early_decision = decision.timestamp < trace.utterance.end
    stt = observer.all(SttMetrics, lambda event: event.turn_id == turn_id)
    before = [event for event in stt if event.timestamp <= decision.timestamp]
    if before:
        record.stt_final_delay_ms = _ms(before[-1].final_delay)
    started = observer.find(
        AgentStartedSpeaking,
        lambda event: event.turn_id == turn_id and event.source is SpeechSource.REPLY,
        after=decision,
    )
    if started is not None and trace.utterance is not None:
        record.observed_v2v_ms = _ms(started.timestamp - trace.utterance.end)
    return record


def _excess(record: TurnRecord, metrics: TurnMetrics, target: ExpectedTurn) -> None:
    llm = metrics.llm_ttft + metrics.tool_time + metrics.llm_first_sentence
    record.endpointing_excess_ms = _ms(metrics.endpointing - target.endpointing)
    record.stt_excess_ms = _ms(metrics.stt_wait - target.stt_final)
    record.llm_excess_ms = _ms(llm - (target.tool_step + target.llm_ttft + target.llm_first_sentence))
    record.tts_excess_ms = _ms(metrics.tts_ttfb - target.tts_ttfb)


def _tools(record: TurnRecord, observer: SessionObserver, decision: EndOfUserTurn) -> None:
    called = observer.all(ToolStarted, lambda event: event.turn_id == decision.turn_id)
    record.tools_called = " ".join(event.name for event in called)
    record.tools_ok = sorted(record.tools_called.split()) == sorted(record.tools_expected.split())


def _barge_in(record: TurnRecord, observer: SessionObserver, trace: TurnTrace) -> None:
    reply = trace.interrupting
    utterance = trace.utterance
    if reply is None or utterance is None:
        return
    interruption = observer.find(
        Interruption, lambda event: event.speech_id == reply.speech_id, since=utterance.start
    )
    record.interrupted = interruption is not None
    if interruption is None:
        return
    # A speech's first frame leaves just before its AgentStartedSpeaking event: the interrupted reply's frames
    # are those from its start up to (not including) the next speech's first frame.
    following = observer.find(AgentStartedSpeaking, after=interruption)
    stop = following.timestamp - FRAME_MARGIN if following is not None else math.inf
    last = observer.last_frame_before(reply.timestamp - FRAME_MARGIN, stop)
    record.interruption_decision_ms = _ms(interruption.timestamp - utterance.start)
    if last is not None:
        record.stop_after_decision_ms = _ms(last.end - interruption.timestamp)
        record.barge_in_stop_ms = _ms(last.end - utterance.start)
