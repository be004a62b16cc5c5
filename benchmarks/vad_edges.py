"""How late the VAD decides a turn edge, across every phase of the caller's audio against the model's windows.

Each case is a spoken utterance (espeak-ng, several voices) placed at every 1 ms offset within one 32 ms window,
fed in 20 ms frames to a real Silero stream with speech start and stop both set to 0.2 s. The truth is the
utterance's own first and last audible sample. For each edge we report how long after "truth + configured minimum"
the decision came (it can only be made at the end of a frame, so 0-20 ms is the best possible), p50/p95/max.

False stops: the same utterances split by an inserted pause (60-180 ms; the real gap between audible samples can be
longer where the split falls in a quiet stretch). A stop before the true end of an utterance whose longest audible
gap is at least 20 ms shorter than the configured silence is a false stop; gaps within 20 ms of it are borderline
(decisions are rounded to the nearest 20 ms frame) and counted apart.

    uv run python -m benchmarks.vad_edges [--phases 32] [--out edges.json]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import anyio
import numpy as np

from benchmarks.timing import summary
from tests.speech_audio import speak
from vad import SileroEngine, SileroModel, VadEventKind, VadParams

RATE = 16000
FRAME = RATE // 50
MINIMUM = 0.2
LEAD = 0.4  # silence before the utterance
TAIL = 0.8  # silence after it
PHRASES = [
    ("I would like to book a table for two", "en-us"),
    ("Can you check my order please", "en-us+klatt4"),
    ("My account number is four five six", "en-us+f3"),
    ("Thanks, that is all for today", "en-gb"),
]
PAUSES_MS = (60, 100, 140, 180)


@dataclass
class Edges:
    start_lag_ms: list[float]
    stop_lag_ms: list[float]
    false_stops: int
    pause_cases: int
    borderline_stops: int = 0
    borderline_cases: int = 0


def audible_extent(samples: np.ndarray) -> tuple[int, int]:
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 100)
    return int(loud[0]), int(loud[-1]) + 1


def longest_gap(samples: np.ndarray) -> float:
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 100)
    return float(np.diff(loud).max()) / RATE


async def decisions(engine: SileroEngine, audio: np.ndarray) -> list[tuple[VadEventKind, float]]:
    """(kind, media time of the frame end at which it was decided) for each event."""
    stream = engine.create_stream()
    found: list[tuple[VadEventKind, float]] = []
    for start in range(0, audio.size, FRAME):
        chunk = audio[start : start + FRAME]
        for result in await stream.process(chunk, start / RATE):
            if result.event is not None:
                found.append((result.event.kind, (start + chunk.size) / RATE))
    stream.close()
    return found


async def measure(phases: int, frame_edges: bool = True) -> Edges:
    params = VadParams(min_speech_duration=MINIMUM, min_silence_duration=MINIMUM, frame_edges=frame_edges)
    engine = SileroEngine(SileroModel.shared(), params)
    edges = Edges([], [], 0, 0)
    utterances = [speak(text, RATE, voice=voice) for text, voice in PHRASES]
    for utterance in utterances:
        for phase in range(phases):
            lead = np.zeros(round(LEAD * RATE) + phase * RATE // 1000, dtype=np.int16)
            audio = np.concatenate([lead, utterance, np.zeros(round(TAIL * RATE), dtype=np.int16)])
            first, last = audible_extent(audio)
            events = await decisions(engine, audio)
            starts = [t for kind, t in events if kind is VadEventKind.SPEECH_STARTED]
            stops = [t for kind, t in events if kind is VadEventKind.SPEECH_STOPPED]
            if starts:
                edges.start_lag_ms.append(1000 * (starts[0] - first / RATE - MINIMUM))
            if stops:
                edges.stop_lag_ms.append(1000 * (stops[-1] - last / RATE - MINIMUM))
    for index, utterance in enumerate(utterances):
        for pause_ms in PAUSES_MS:
            for phase in range(0, phases, 4):
                half = utterance.size // 2
                cut = half + int(np.argmin(np.abs(utterance[half : half + RATE // 5].astype(np.int32))))
                gap = np.zeros(RATE * pause_ms // 1000, dtype=np.int16)
                lead = np.zeros(round(LEAD * RATE) + phase * RATE // 1000, dtype=np.int16)
                audio = np.concatenate(
                    [lead, utterance[:cut], gap, utterance[cut:], np.zeros(RATE, np.int16)]
                )
                _, last = audible_extent(audio)
                events = await decisions(engine, audio)
                early = any(kind is VadEventKind.SPEECH_STOPPED and t < last / RATE for kind, t in events)
                if longest_gap(audio) <= MINIMUM - 0.02 + 1e-9:
                    edges.pause_cases += 1
                    edges.false_stops += early
                else:
                    edges.borderline_cases += 1
                    edges.borderline_stops += early
        del index
    return edges


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--phases", type=int, default=32, help="offsets (1 ms apart) within a window")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument(
        "--window-edges", action="store_true", help="edges and decisions on window boundaries (the old VAD)"
    )
    args = parser.parse_args()
    edges = anyio.run(measure, args.phases, not args.window_edges)
    result = {
        "cases": len(edges.stop_lag_ms),
        "stop_lag_after_configured_ms": summary(edges.stop_lag_ms),
        "start_lag_after_configured_ms": summary(edges.start_lag_ms),
        "false_stops": edges.false_stops,
        "pause_cases": edges.pause_cases,
        "borderline_stops": edges.borderline_stops,
        "borderline_cases": edges.borderline_cases,
    }
    for edge in ("stop", "start"):
        figures = result[f"{edge}_lag_after_configured_ms"]
        assert isinstance(figures, dict)
        print(
            f"{edge:5} decision - (truth + {MINIMUM * 1000:.0f} ms): p50 {figures['p50']:6.1f}  p95 "
            f"{figures['p95']:6.1f}  max {figures['max']:6.1f}  min {figures['min']:6.1f} ms  "
            f"({result['cases']} cases)"
        )
    print(
        f"false stops (pauses >= 20 ms shorter than the silence): {edges.false_stops} of {edges.pause_cases} "
        f"cases; stops on borderline pauses: {edges.borderline_stops} of {edges.borderline_cases}"
    )
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
