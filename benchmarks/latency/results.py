"""Summaries of the turn records (p50/p95/p99), the terminal table, and the ``results.json`` / ``turns.csv``
files."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.latency.records import TurnRecord, TurnStatus

# (column, label): the per-turn latencies, in the order the table shows them.
TURN_METRICS: tuple[tuple[str, str], ...] = (
    ("turn_decision_ms", "end of speech -> turn decision"),
    ("endpointing_ms", "  endpointing (silence wait)"),
    ("stt_wait_ms", "  STT wait after it"),
    ("stt_final_delay_ms", "STT final delay (Finalize -> final)"),
    ("llm_ttft_ms", "LLM time to first token"),
    ("tool_time_ms", "tool calls"),
    ("llm_first_sentence_ms", "LLM first sentence"),
    ("tts_ttfb_ms", "TTS time to first byte"),
    ("overhead_ms", "pipeline overhead (residual)"),
    ("voice_to_voice_ms", "voice-to-voice"),
    ("observed_v2v_ms", "caller's last sample -> first agent frame"),
    ("v2v_minus_expected_ms", "voice-to-voice - configured latencies"),
    ("endpointing_excess_ms", "  endpointing (VAD windows, frames)"),
    ("stt_excess_ms", "  STT (adapter, SDK, socket)"),
    ("llm_excess_ms", "  LLM (adapter, SDK, HTTP)"),
    ("tts_excess_ms", "  TTS (adapter, websocket)"),
)
BARGE_IN_METRICS: tuple[tuple[str, str], ...] = (
    ("barge_in_stop_ms", "barge-in: caller onset -> agent audio stopped"),
    ("interruption_decision_ms", "  onset -> interruption decision"),
    ("stop_after_decision_ms", "  decision -> agent audio stopped"),
)


@dataclass(frozen=True)
class Stats:
    n: int
    p50: float
    p95: float
    p99: float
    mean: float
    min: float
    max: float


def stats(values: Iterable[float | None]) -> Stats | None:
    present = np.array([value for value in values if value is not None and math.isfinite(value)], dtype=float)
    if present.size == 0:
        return None
    p50, p95, p99 = (float(np.percentile(present, q)) for q in (50, 95, 99))
    return Stats(
        int(present.size),
        round(p50, 3),
        round(p95, 3),
        round(p99, 3),
        round(float(present.mean()), 3),
        round(float(present.min()), 3),
        round(float(present.max()), 3),
    )


def metric_values(records: Sequence[TurnRecord], column: str) -> list[float | None]:
    if column == "v2v_minus_expected_ms":
        return [
            record.voice_to_voice_ms - record.expected_v2v_ms
            if record.voice_to_voice_ms is not None and record.expected_v2v_ms is not None
            else None
            for record in records
        ]
    return [getattr(record, column) for record in records]


def summarize(
    records: Sequence[TurnRecord], metrics: tuple[tuple[str, str], ...] = TURN_METRICS
) -> dict[str, Stats]:
    summary = {}
    for column, _ in metrics:
        found = stats(metric_values(records, column))
        if found is not None:
            summary[column] = found
    return summary


def checks(records: Sequence[TurnRecord]) -> dict[str, int]:
    barge_ins = [record for record in records if record.barge_in]
    return {
        "turns": len(records),
        "turns_with_metrics": sum(record.status is TurnStatus.OK for record in records),
        "turns_without_decision": sum(record.status is TurnStatus.NO_TURN for record in records),
        "turns_without_reply": sum(record.status is TurnStatus.NO_REPLY for record in records),
        "turns_decided_before_the_caller_finished": sum(record.early_decision for record in records),
        "tool_calls_as_expected": sum(record.tools_ok for record in records),
        "barge_ins": len(barge_ins),
        "barge_ins_interrupted": sum(bool(record.interrupted) for record in barge_ins),
    }


def format_table(title: str, summary: dict[str, Stats], metrics: tuple[tuple[str, str], ...]) -> str:
    width = max(len(label) for _, label in metrics) + 2
    lines = [
        title,
        f"{'':{width}}{'p50':>9}{'p95':>9}{'p99':>9}{'mean':>9}{'max':>9}{'n':>6}   (ms)",
    ]
    for column, label in metrics:
        found = summary.get(column)
        if found is None:
            continue
        lines.append(
            f"{label:{width}}{found.p50:9.1f}{found.p95:9.1f}{found.p99:9.1f}{found.mean:9.1f}"
            f"{found.max:9.1f}{found.n:6d}"
        )
    return "\n".join(lines)


def write_csv(path: Path, records: Sequence[TurnRecord]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=TurnRecord.columns())
        writer.writeheader()
        for record in records:
            writer.writerow(record.as_row())


def write_json(path: Path, run: dict[str, Any], records: Sequence[TurnRecord]) -> None:
    """The whole result: how it was run, the summaries, the checks and every turn."""
    report = {
        "run": run,
        "summary_ms": {name: asdict(found) for name, found in summarize(records).items()},
        "barge_in_ms": {name: asdict(found) for name, found in summarize(records, BARGE_IN_METRICS).items()},
        "checks": checks(records),
        "turns": [record.as_row() for record in records],
    }
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
