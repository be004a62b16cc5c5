"""The latency waterfall of a call's turns: text bars for ``calls show``, a PNG for ``calls plot``."""

from __future__ import annotations

from pathlib import Path

from pipeline.records.model import CallRecord

PARTS = ("endpointing", "stt_wait", "llm_ttft", "tool_time", "llm_first_sentence", "tts_ttfb", "overhead")
SYMBOLS = {
    "endpointing": "e",
    "stt_wait": "s",
    "llm_ttft": "L",
    "tool_time": "T",
    "llm_first_sentence": "l",
    "tts_ttfb": "t",
    "overhead": ".",
}
COLORS = {
    "endpointing": "#8da0cb",
    "stt_wait": "#66c2a5",
    "llm_ttft": "#fc8d62",
    "tool_time": "#a6d854",
    "llm_first_sentence": "#e78ac3",
    "tts_ttfb": "#ffd92f",
    "overhead": "#b3b3b3",
}


def waterfall_lines(record: CallRecord, width: int = 60) -> list[str]:
    """One line per turn: a bar whose segments are the parts of voice-to-voice (legend below)."""
    if not record.turns:
        return ["(no completed turns)"]
    longest = max(turn["voice_to_voice"] for turn in record.turns) or 1.0
    scale = width / longest
    lines = []
    for turn in record.turns:
        bar = "".join(SYMBOLS[part] * round(max(0.0, turn.get(part, 0.0)) * scale) for part in PARTS)
        lines.append(f"turn {int(turn['turn_id']):>3} {turn['voice_to_voice'] * 1000:7.0f} ms |{bar}")
    lines.append("legend: " + "  ".join(f"{SYMBOLS[part]}={part}" for part in PARTS))
    return lines


def plot_waterfall(record: CallRecord, path: str | Path) -> Path:
    """A PNG of the turns' latency parts as stacked horizontal bars. Needs matplotlib (the ``bench`` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise RuntimeError(
            "plotting needs matplotlib: install the 'bench' extra (pip install 'parley[bench]')"
        ) from exc
    path = Path(path)
    turns = record.turns
    figure, axes = plt.subplots(figsize=(9, 2.0 + 0.45 * max(1, len(turns))))
    labels = [f"turn {int(turn['turn_id'])}" for turn in turns]
    for row, turn in enumerate(turns):
        left = 0.0
        for part in PARTS:
            width = max(0.0, turn.get(part, 0.0)) * 1000
            axes.barh(row, width, left=left, color=COLORS[part], label=part if row == 0 else None)
            left += width
        axes.text(left + 5, row, f"{turn['voice_to_voice'] * 1000:.0f} ms", va="center", fontsize=8)
    axes.set_yticks(range(len(turns)), labels)
    axes.invert_yaxis()
    axes.set_xlabel("milliseconds from the caller stopping to the first agent audio")
    axes.set_title(f"{record.id} — voice-to-voice per turn")
    if turns:
        longest = max(turn["voice_to_voice"] for turn in turns) * 1000
        axes.set_xlim(0, longest * 1.15 + 1)
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), fontsize=7, ncols=4, frameon=False)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
