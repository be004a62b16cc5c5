"""The PNG: a per-turn waterfall (the critical-path parts laid end to end, one row per turn) and the
distribution of voice-to-voice latency."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from benchmarks.latency.records import PARTS, TurnRecord

MAX_WATERFALL_ROWS = 80
COLORS = {
    "endpointing": "#9e9e9e",
    "stt_wait": "#4e79a7",
    "llm_ttft": "#f28e2b",
    "tool_time": "#b07aa1",
    "llm_first_sentence": "#edc948",
    "tts_ttfb": "#59a14f",
    "overhead": "#e15759",
}


def plot_results(path: Path, records: Sequence[TurnRecord], title: str) -> None:
    measured = [record for record in records if record.voice_to_voice_ms is not None]
    figure, (waterfall, histogram) = plt.subplots(
        1,
        2,
        figsize=(15, max(5.0, 0.16 * min(len(measured), MAX_WATERFALL_ROWS) + 3.0)),
        gridspec_kw={"width_ratios": [3, 2]},
    )
    _waterfall(waterfall, measured[:MAX_WATERFALL_ROWS], len(measured))
    _histogram(histogram, [record.voice_to_voice_ms or 0.0 for record in measured])
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _waterfall(axes: plt.Axes, records: Sequence[TurnRecord], total: int) -> None:
    rows = np.arange(len(records))
    left = np.zeros(len(records))
    for part in PARTS:
        widths = np.array([getattr(record, f"{part}_ms") or 0.0 for record in records])
        axes.barh(rows, widths, left=left, color=COLORS[part], label=part, height=0.8)
        left += widths
    expected = [(row, record.expected_v2v_ms) for row, record in zip(rows, records, strict=True)]
    marks = [(row, value) for row, value in expected if value is not None]
    if marks:
        axes.scatter(
            [value for _, value in marks],
            [row for row, _ in marks],
            marker="|",
            s=120,
            color="black",
            label="configured latencies",
            zorder=3,
        )
    labels = [
        f"s{record.session} t{record.turn}{' barge-in' if record.barge_in else ''}" for record in records
    ]
    axes.set_yticks(rows, labels, fontsize=7)
    axes.invert_yaxis()
    axes.set_xlabel("ms after the caller stopped speaking")
    shown = f" (first {len(records)} of {total})" if total > len(records) else ""
    axes.set_title(f"per-turn waterfall{shown}")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=4, fontsize=8, frameon=False)


def _histogram(axes: plt.Axes, values: Sequence[float]) -> None:
    if not values:
        axes.set_title("voice-to-voice: no turns measured")
        return
    axes.hist(values, bins=min(40, max(5, len(values) // 2)), color="#4e79a7", edgecolor="white")
    for share, style in ((50, "-"), (95, "--"), (99, ":")):
        value = float(np.percentile(values, share))
        axes.axvline(value, color="black", linestyle=style, label=f"p{share} {value:.0f} ms")
    axes.set_xlabel("voice-to-voice (ms)")
    axes.set_ylabel("turns")
    axes.set_title("voice-to-voice distribution")
    axes.legend(fontsize=8)
