"""Compare text end-of-turn models independently of the presets: sweep the semantic policy's delays and report
each model's cut-off/wait frontier (settings whose
longest one-word wait exceeds 600 ms are left out) on the blind DEV split and the old corpus (never the locked test split).

For every (complete, uncertain, incomplete) delay on a grid, the real detector and policy run every case; a
model is better if its frontier is lower: fewer cut-offs at the same mean wait.

    uv run python -m benchmarks.turn_model_frontier turn/eot/data/text_eot_weights.npz other.npz
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path
from typing import Any

import anyio
from trio.testing import MockClock

import pipeline.stages.turn_setup as turn_setup
from benchmarks.turn_blind import BlindSplit, build_blind
from benchmarks.turn_corpus import TurnCase, build_corpus
from benchmarks.turn_taking import Setting, Timing, evaluate
from pipeline.settings import TurnSettings
from turn.eot import TextTurnModel

COMPLETE = (0.2, 0.25, 0.3, 0.35, 0.5)
UNCERTAIN = (0.8, 1.1, 1.4, 1.6, 1.8)
INCOMPLETE = (1.6, 2.0, 2.2, 2.4, 2.8)
ONE_WORD_LIMIT_MS = 600  # the limit on the wait after a complete one-word answer
WAIT_LIMITS_MS = (350, 400, 450, 500, 600)


async def sweep(model: TextTurnModel, cases: list[TurnCase]) -> list[dict[str, Any]]:
    turn_setup.shared_text_model = lambda: model  # type: ignore[assignment]
    rows = []
    for complete, uncertain, incomplete in itertools.product(COMPLETE, UNCERTAIN, INCOMPLETE):
        settings = TurnSettings(
            detector="semantic",
            complete_delay=complete,
            uncertain_delay=uncertain,
            incomplete_delay=incomplete,
        )
        row = await evaluate(cases, Setting(f"{complete}/{uncertain}/{incomplete}", settings), Timing())
        rows.append(row)
    return rows


def frontier(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for limit in WAIT_LIMITS_MS:
        fitting = [
            r
            for r in rows
            if r["mean_wait_ms"] <= limit and not r["one_word_max_wait_ms"] > ONE_WORD_LIMIT_MS  # nan: none
        ]
        if not fitting:
            out.append(f"<= {limit} ms: none")
            continue
        best = min(fitting, key=lambda r: (r["false_cut_off_rate"], r["mean_wait_ms"]))
        out.append(
            f"<= {limit} ms: {100 * best['false_cut_off_rate']:4.1f} % at {best['mean_wait_ms']:.0f} ms"
            f" ({best['setting']}, 1-word max {best['one_word_max_wait_ms']:.0f} ms)"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("weights", type=Path, nargs="+", help="text-model weights files to compare")
    args = parser.parse_args()
    corpora = {"blind dev": build_blind(BlindSplit.DEV), "old corpus": build_corpus(n_cases=100)}
    for path in args.weights:
        model = TextTurnModel.load(path)
        for name, cases in corpora.items():
            rows = anyio.run(
                sweep,
                model,
                cases,
                backend="trio",
                backend_options={"clock": MockClock(autojump_threshold=0)},
            )
            print(f"== {path} on {name}")
            for line in frontier(rows):
                print("  " + line)


if __name__ == "__main__":
    main()
