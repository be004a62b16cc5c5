"""Cost of the end-of-turn models: weights size, load time, CPU per decision (p50/p99).

The text models' decisions are the blind DEV split's and the old corpus's decision points (each internal pause
and each true end), scored one at a time with the process CPU clock, as the turn detector scores them. An audio
model (``--audio-model``, Smart Turn v3) is timed the same way on 1-8 s of speech-like noise (its input is always
8 s of features, so the length barely matters); it runs single-threaded, as the session runs it.

    uv run python -m benchmarks.turn_model_cost [--window training/eot/data/window_eot_weights.npz]
        [--audio-model smart-turn-v3.2-cpu.onnx]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.turn_blind import BlindSplit, build_blind
from benchmarks.turn_corpus import build_corpus
from benchmarks.turn_lm_eot import decision_points
from training.eot.window_model import WindowTurnModel
from turn.eot import SmartTurnModel, TextTurnModel
from turn.eot.text_model import DEFAULT_WEIGHTS_PATH

REPEATS = 5
AUDIO_DECISIONS = 100


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(
    label: str, path: Path, load: Callable[[], object], predict: Callable[[str, str | None], float]
) -> None:
    started = time.process_time()
    load()
    load_ms = 1000 * (time.process_time() - started)
    points = decision_points(build_blind(BlindSplit.DEV)) + decision_points(build_corpus(n_cases=100))
    costs = []
    for _ in range(REPEATS):
        for point in points:
            started = time.process_time()
            predict(point.text, point.question)
            costs.append(1000 * (time.process_time() - started))
    print(
        f"{label:10} weights {path.stat().st_size / 1e6:.2f} MB, load {load_ms:.0f} ms CPU,"
        f" per decision p50 {_percentile(costs, 0.5):.3f} ms p99 {_percentile(costs, 0.99):.3f} ms"
        f" ({len(costs)} decisions)"
    )


def measure_audio(path: Path) -> None:
    started = time.process_time()
    model = SmartTurnModel.load(path)
    load_ms = 1000 * (time.process_time() - started)
    rng = np.random.default_rng(0)
    costs = []
    for index in range(AUDIO_DECISIONS):
        samples = (rng.standard_normal(16000 * (1 + index % 8)) * 3000).astype(np.int16)
        started = time.process_time()
        model.predict(samples)
        costs.append(1000 * (time.process_time() - started))
    print(
        f"{'audio':10} weights {path.stat().st_size / 1e6:.2f} MB, load {load_ms:.0f} ms CPU,"
        f" per decision p50 {_percentile(costs, 0.5):.1f} ms p99 {_percentile(costs, 0.99):.1f} ms"
        f" ({len(costs)} decisions)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--window", type=Path, help="also measure this window-model weights file")
    parser.add_argument("--audio-model", type=Path, help="also measure this Smart Turn v3 ONNX file")
    args = parser.parse_args()
    logistic = TextTurnModel.load()
    measure("logistic", DEFAULT_WEIGHTS_PATH, TextTurnModel.load, logistic.predict)
    if args.window:
        window = WindowTurnModel.load(args.window, logistic)
        measure("window", args.window, lambda: WindowTurnModel.load(args.window), window.predict)
    if args.audio_model:
        measure_audio(args.audio_model)


if __name__ == "__main__":
    main()
