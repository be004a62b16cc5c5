"""Train the text end-of-turn classifier: ``uv run python -m training.eot.train``.

Logistic regression over hashed sparse features (``text_features``), fitted with full-batch Adam and L2 in
numpy. Full-batch updates and order-independent reductions make training bit-for-bit reproducible.
Then a temperature is fitted on half of the held-out split (``calibration``). Writes
``data/text_eot_weights.npz`` (the non-zero buckets and the temperature) and prints held-out metrics.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.eot.calibration import (
    expected_calibration_error,
    fit_temperature,
    log_loss,
    scaled,
    sigmoid,
    split_calibration,
)
from training.eot.dataset import AMBIGUOUS_KINDS, DATASET_PATH, Row, load_rows, split_rows
from training.eot.metrics import BinaryMetrics, binary_metrics
from turn.eot.text_features import FEATURE_VERSION, N_BUCKETS, feature_indices
from turn.eot.text_model import DEFAULT_WEIGHTS_PATH, TextTurnModel

WEIGHTS_PATH = DEFAULT_WEIGHTS_PATH  # shipped inside the turn package
DEFAULT_EPOCHS = 400


@dataclass(frozen=True, slots=True)
class TrainConfig:
    epochs: int = DEFAULT_EPOCHS
    learning_rate: float = 0.05
    l2: float = 3e-4  # strong enough that made-up words and unseen leads do not swing the probability
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8


@dataclass(frozen=True, slots=True)
class SparseBatch:
    """Binary CSR matrix (rows x N_BUCKETS) plus labels."""

    indptr: np.ndarray  # int64, len n_rows + 1
    indices: np.ndarray  # int64, bucket of each non-zero
    labels: np.ndarray  # float64 0/1

    @property
    def n_rows(self) -> int:
        return int(self.indptr.size - 1)

    def row_of_entry(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_rows), np.diff(self.indptr))


def featurize(rows: Sequence[Row]) -> SparseBatch:
    per_row = [feature_indices(r.text, r.agent_question) for r in rows]
    lengths = np.array([len(ix) for ix in per_row], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    indices = np.concatenate(per_row) if per_row else np.zeros(0, dtype=np.int64)
    labels = np.array([1.0 if r.complete else 0.0 for r in rows], dtype=np.float64)
    return SparseBatch(indptr, indices, labels)


def logits(weights: np.ndarray, batch: SparseBatch) -> np.ndarray:
    # every row has at least the "bias" feature, so no reduceat segment is empty
    return np.add.reduceat(weights[batch.indices], batch.indptr[:-1])


def train(batch: SparseBatch, config: TrainConfig = TrainConfig()) -> np.ndarray:
    """Fit dense weights (N_BUCKETS,) minimising mean log-loss + l2/2 * |w|^2."""
    weights = np.zeros(N_BUCKETS, dtype=np.float64)
    m = np.zeros_like(weights)
    v = np.zeros_like(weights)
    entry_rows = batch.row_of_entry()
    n = max(batch.n_rows, 1)
    for step in range(1, config.epochs + 1):
        error = sigmoid(logits(weights, batch)) - batch.labels
        grad = np.bincount(batch.indices, weights=error[entry_rows], minlength=N_BUCKETS) / n
        grad += config.l2 * weights
        m = config.beta1 * m + (1 - config.beta1) * grad
        v = config.beta2 * v + (1 - config.beta2) * grad * grad
        m_hat = m / (1 - config.beta1**step)
        v_hat = v / (1 - config.beta2**step)
        weights -= config.learning_rate * m_hat / (np.sqrt(v_hat) + config.eps)
    return weights


def predict_batch(weights: np.ndarray, batch: SparseBatch) -> np.ndarray:
    return sigmoid(logits(weights, batch))


def save_weights(weights: np.ndarray, temperature: float = 1.0, path: Path = WEIGHTS_PATH) -> None:
    nonzero = np.flatnonzero(np.abs(weights) > 1e-6)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        feature_version=np.int64(FEATURE_VERSION),
        n_buckets=np.int64(N_BUCKETS),
        indices=nonzero.astype(np.int32),
        weights=weights[nonzero].astype(np.float32),
        temperature=np.float64(temperature),
    )


def calibrate(weights: np.ndarray, held_out: Sequence[Row]) -> float:
    """The temperature fitted on the calibration half of the held-out rows."""
    calibration, _ = split_calibration(held_out)
    batch = featurize(calibration)
    return fit_temperature(logits(weights, batch), batch.labels)


def evaluate(weights: np.ndarray, rows: Sequence[Row]) -> BinaryMetrics:
    batch = featurize(rows)
    return binary_metrics(batch.labels.astype(bool), predict_batch(weights, batch))


def per_kind_accuracy(weights: np.ndarray, rows: Sequence[Row]) -> dict[str, tuple[int, float]]:
    probs = predict_batch(weights, featurize(rows))
    hits: dict[str, list[bool]] = defaultdict(list)
    for row, p in zip(rows, probs, strict=True):
        hits[row.kind].append((p >= 0.5) == row.complete)
    return {kind: (len(h), float(np.mean(h))) for kind, h in sorted(hits.items())}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, default=DATASET_PATH)
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    parser.add_argument("--l2", type=float, default=TrainConfig().l2)
    args = parser.parse_args(argv)

    train_rows, test_rows = split_rows(load_rows(args.dataset))
    print(f"train rows: {len(train_rows)}  held-out rows: {len(test_rows)}")
    weights = train(featurize(train_rows), TrainConfig(epochs=args.epochs, l2=args.l2))
    clear = [r for r in test_rows if r.kind not in AMBIGUOUS_KINDS]
    print(f"train    {evaluate(weights, train_rows).describe()}")
    print(f"held-out {evaluate(weights, test_rows).describe()}")
    print(f"held-out without the ambiguous kinds {evaluate(weights, clear).describe()}")
    for kind, (count, accuracy) in per_kind_accuracy(weights, test_rows).items():
        print(f"  {kind:22s} n={count:5d} accuracy={accuracy:.4f}")
    temperature = calibrate(weights, test_rows)
    print(f"temperature {temperature} (fitted on the calibration half of the held-out rows)")
    print_calibration(weights, temperature, split_calibration(test_rows)[1])
    save_weights(weights, temperature, args.out)
    print(f"wrote {args.out} ({int(np.count_nonzero(np.abs(weights) > 1e-6))} non-zero buckets)")
    print(f"inference: {measure_latency_ms(args.out, test_rows) * 1e3:.1f} us per predict() call")


def print_calibration(weights: np.ndarray, temperature: float, rows: Sequence[Row]) -> None:
    batch = featurize(rows)
    z = logits(weights, batch)
    for name, t in (("raw", 1.0), ("scaled", temperature)):
        p = scaled(z, t)
        print(f"  {name:6s} on the report half: log-loss={log_loss(batch.labels, p):.4f} "
              f"ECE={expected_calibration_error(batch.labels, p):.4f}")  # fmt: skip
    ambiguous = np.array([r.kind in AMBIGUOUS_KINDS for r in rows])
    if ambiguous.any():
        p = scaled(z[ambiguous], temperature)
        print(
            f"  ambiguous kinds: mean p={p.mean():.3f} (target 0.5), "
            f"share in [0.3, 0.7]={np.mean(abs(p - 0.5) <= 0.2):.3f}"
        )


def measure_latency_ms(weights_path: Path, rows: Sequence[Row], calls: int = 5000) -> float:
    """Mean CPU time of ``TextTurnModel.predict`` over held-out rows, in milliseconds."""
    model = TextTurnModel.load(weights_path)
    sample = [(r.text, r.agent_question) for r in rows[:calls]]
    start = time.perf_counter()
    for text, agent in sample:
        model.predict(text, agent)
    return (time.perf_counter() - start) * 1e3 / max(len(sample), 1)


if __name__ == "__main__":
    main()
