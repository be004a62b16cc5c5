"""Compare text end-of-turn models on the blind DEV split and the old corpus (never the locked test split):
ROC AUC over the decision points (each internal pause "not finished", each true end "finished") and the
cut-off/wait through the benchmark's real detector and policy.

    uv run python -m benchmarks.turn_model_compare --window training/eot/data/window_eot_weights.npz
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.turn_blind import BlindSplit, build_blind
from benchmarks.turn_corpus import build_corpus
from benchmarks.turn_lm_eot import auc, decision_points, policy_tables
from training.eot.window_model import WindowTurnModel
from turn.eot import TextTurnModel


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--window", type=Path, nargs="*", default=[], help="window-model weights to compare")
    parser.add_argument("--no-policy", action="store_true", help="AUC only")
    args = parser.parse_args()
    corpora = {"old corpus": build_corpus(n_cases=100), "blind dev": build_blind(BlindSplit.DEV)}
    base = TextTurnModel.load()
    models: dict[str, TextTurnModel | WindowTurnModel] = {"logistic (shipped)": base}
    for path in args.window:
        models[f"window {path.name}"] = WindowTurnModel.load(path, base)
    for label, model in models.items():
        for name, cases in corpora.items():
            points = decision_points(cases)
            scores = [model.predict(p.text, p.question) for p in points]
            print(f"{label:28} {name:11} AUC {auc(scores, [p.finished for p in points]):.4f}")
        if args.no_policy:
            continue
        for name, rows in policy_tables(model, corpora).items():
            for row in rows:
                print(
                    f"{label:28} {name:11} {row['setting']:16} cut {100 * row['false_cut_off_rate']:5.1f}%"
                    f" wait {row['mean_wait_ms']:5.0f} ms  1-word max {row['one_word_max_wait_ms']:5.0f} ms"
                )


if __name__ == "__main__":
    main()
