"""Train the window end-of-turn network: ``uv run python -m training.eot.train_window``.

EXPERIMENT, not shipped. The network (``training.eot.window_model``) corrects the shipped logistic model's logit. It is fitted on the training
rows of ``training/eot/data/dataset.jsonl`` (the same split as the logistic model) with mini-batch Adam and
hand-written backpropagation in numpy (float64, a fixed seed, fixed batch order), so training is reproducible
bit for bit on one machine. Writes ``training/eot/data/window_eot_weights.npz`` (not committed) and prints held-out metrics.
"""

from __future__ import annotations

import argparse
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.eot.dataset import DATASET_PATH, Row, group_key, load_rows, split_rows
from training.eot.metrics import binary_metrics
from training.eot.window_model import (
    DEFAULT_WINDOW_WEIGHTS_PATH,
    N_DENSE,
    N_HASH,
    WINDOW,
    WINDOW_VERSION,
    WindowWeights,
    stack_inputs,
    window_inputs,
)
from turn.eot.text_model import TextTurnModel


@dataclass(frozen=True, slots=True)
class WindowConfig:
    dim: int = 16
    units: int = 48
    epochs: int = 12
    batch: int = 256
    learning_rate: float = 0.003
    l2: float = 1e-5
    seed: int = 16
    use_base: bool = True  # False: a stand-alone network (the logistic model's logit is not an input)


@dataclass(frozen=True, slots=True)
class Batch:
    slot_rows: np.ndarray
    slot_weights: np.ndarray
    question_rows: np.ndarray
    question_weights: np.ndarray
    dense: np.ndarray
    base: np.ndarray  # logistic model's scaled logit
    labels: np.ndarray

    def take(self, index: np.ndarray) -> Batch:
        return Batch(*(a[index] for a in (self.slot_rows, self.slot_weights, self.question_rows,
                                           self.question_weights, self.dense, self.base, self.labels)))  # fmt: skip

    @property
    def size(self) -> int:
        return int(self.labels.size)


def featurize(rows: Sequence[Row], base_model: TextTurnModel | None = None) -> Batch:
    base_model = base_model or TextTurnModel.load()
    arrays = stack_inputs([window_inputs(r.text, r.agent_question) for r in rows])
    base = np.array([base_model.logit(r.text, r.agent_question) / base_model.temperature for r in rows])
    labels = np.array([1.0 if r.complete else 0.0 for r in rows])
    return Batch(*arrays, base, labels)


def out_of_fold_base(rows: Sequence[Row], folds: int = 2) -> np.ndarray:
    """The logistic model's scaled logit for each row from a model trained without that row's fold (so the
    network learns to correct the logistic model where it is wrong on text it has not seen)."""
    from training.eot import train as logistic

    temperature = TextTurnModel.load().temperature
    fold = np.array([zlib.crc32(group_key(r.text).encode("utf-8")) % folds for r in rows])
    out = np.zeros(len(rows))
    for k in range(folds):
        inside = [r for r, f in zip(rows, fold, strict=True) if f != k]
        weights = logistic.train(logistic.featurize(inside))
        held = np.flatnonzero(fold == k)
        batch = logistic.featurize([rows[i] for i in held])
        out[held] = logistic.logits(weights, batch) / temperature
    return out


def init_params(config: WindowConfig) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(config.seed)
    n_in = WINDOW * config.dim + config.dim + N_DENSE
    embeddings = rng.normal(0.0, 0.1, (N_HASH + 1, config.dim))
    question = rng.normal(0.0, 0.1, (N_HASH + 1, config.dim))
    embeddings[N_HASH] = 0.0
    question[N_HASH] = 0.0
    return {
        "embeddings": embeddings,
        "question_embeddings": question,
        "hidden": rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, config.units)),
        "hidden_bias": np.zeros(config.units),
        "out": rng.normal(0.0, 0.01, config.units),
        "out_bias": np.zeros(1),
        "base_scale": np.ones(1) if config.use_base else np.zeros(1),
    }


def forward(params: dict[str, np.ndarray], batch: Batch) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    slots = (params["embeddings"][batch.slot_rows] * batch.slot_weights[..., None]).sum(axis=2)
    question = (params["question_embeddings"][batch.question_rows] * batch.question_weights[..., None]).sum(
        axis=1
    )
    x = np.concatenate([slots.reshape(batch.size, -1), question, batch.dense], axis=1)
    pre = x @ params["hidden"] + params["hidden_bias"]
    h = np.maximum(pre, 0.0)
    z = h @ params["out"] + params["out_bias"][0] + params["base_scale"][0] * batch.base
    return z, {"x": x, "pre": pre, "h": h}


def gradients(params: dict[str, np.ndarray], batch: Batch, l2: float) -> dict[str, np.ndarray]:
    z, cache = forward(params, batch)
    dz = (1.0 / (1.0 + np.exp(-z)) - batch.labels) / batch.size
    grads = {
        "out": cache["h"].T @ dz,
        "out_bias": np.array([dz.sum()]),
        "base_scale": np.array([dz @ batch.base]),
    }
    dpre = np.outer(dz, params["out"]) * (cache["pre"] > 0)
    grads["hidden"] = cache["x"].T @ dpre + l2 * params["hidden"]
    grads["hidden_bias"] = dpre.sum(axis=0)
    dx = dpre @ params["hidden"].T
    dim = params["embeddings"].shape[1]
    dslots = dx[:, : WINDOW * dim].reshape(batch.size, WINDOW, dim)
    dquestion = dx[:, WINDOW * dim : WINDOW * dim + dim]
    grad_e = l2 * params["embeddings"]
    np.add.at(grad_e, batch.slot_rows.reshape(-1),
              (batch.slot_weights[..., None] * dslots[:, :, None, :]).reshape(-1, dim))  # fmt: skip
    grad_q = l2 * params["question_embeddings"]
    np.add.at(grad_q, batch.question_rows.reshape(-1),
              (batch.question_weights[..., None] * dquestion[:, None, :]).reshape(-1, dim))  # fmt: skip
    grad_e[N_HASH] = 0.0
    grad_q[N_HASH] = 0.0
    grads["embeddings"] = grad_e
    grads["question_embeddings"] = grad_q
    return grads


def train(batch: Batch, config: WindowConfig = WindowConfig()) -> dict[str, np.ndarray]:
    params = init_params(config)
    if not config.use_base:
        batch = Batch(batch.slot_rows, batch.slot_weights, batch.question_rows, batch.question_weights,
                      batch.dense, np.zeros_like(batch.base), batch.labels)  # fmt: skip
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(v) for k, v in params.items()}
    rng = np.random.default_rng(config.seed + 1)
    step = 0
    for _ in range(config.epochs):
        order = rng.permutation(batch.size)
        for start in range(0, batch.size, config.batch):
            step += 1
            grads = gradients(params, batch.take(order[start : start + config.batch]), config.l2)
            for key, grad in grads.items():
                m[key] = 0.9 * m[key] + 0.1 * grad
                v[key] = 0.999 * v[key] + 0.001 * grad * grad
                m_hat = m[key] / (1 - 0.9**step)
                v_hat = v[key] / (1 - 0.999**step)
                params[key] -= config.learning_rate * m_hat / (np.sqrt(v_hat) + 1e-8)
    return params


def probabilities(params: dict[str, np.ndarray], batch: Batch) -> np.ndarray:
    z, _ = forward(params, batch)
    return 1.0 / (1.0 + np.exp(-z))


def as_weights(params: dict[str, np.ndarray]) -> WindowWeights:
    return WindowWeights(
        params["embeddings"], params["question_embeddings"], params["hidden"], params["hidden_bias"],
        params["out"], float(params["out_bias"][0]), float(params["base_scale"][0]),
    )  # fmt: skip


def save(params: dict[str, np.ndarray], path: Path = DEFAULT_WINDOW_WEIGHTS_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        version=np.int64(WINDOW_VERSION),
        n_hash=np.int64(N_HASH),
        window=np.int64(WINDOW),
        embeddings=params["embeddings"].astype(np.float32),
        question_embeddings=params["question_embeddings"].astype(np.float32),
        hidden=params["hidden"].astype(np.float32),
        hidden_bias=params["hidden_bias"].astype(np.float32),
        out=params["out"].astype(np.float32),
        out_bias=np.float64(params["out_bias"][0]),
        base_scale=np.float64(params["base_scale"][0]),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, default=DATASET_PATH)
    parser.add_argument("--out", type=Path, default=DEFAULT_WINDOW_WEIGHTS_PATH)
    parser.add_argument("--epochs", type=int, default=WindowConfig().epochs)
    parser.add_argument("--units", type=int, default=WindowConfig().units)
    parser.add_argument("--l2", type=float, default=WindowConfig().l2)
    parser.add_argument("--oof", action="store_true", help="train on out-of-fold logistic logits")
    parser.add_argument("--standalone", action="store_true", help="do not add the logistic model's logit")
    args = parser.parse_args(argv)
    config = WindowConfig(epochs=args.epochs, units=args.units, l2=args.l2, use_base=not args.standalone)
    train_rows, test_rows = split_rows(load_rows(args.dataset))
    base = TextTurnModel.load()
    train_batch, test_batch = featurize(train_rows, base), featurize(test_rows, base)
    if args.oof:
        oof = out_of_fold_base(train_rows)
        fields = [getattr(train_batch, f) for f in Batch.__slots__]
        fields[5] = oof
        params = train(Batch(*fields), config)
    else:
        params = train(train_batch, config)
    for name, b in (("train", train_batch), ("held-out", test_batch)):
        base_p = 1.0 / (1.0 + np.exp(-b.base))
        print(f"{name:8} logistic {binary_metrics(b.labels.astype(bool), base_p).describe()}")
        shown = (
            b
            if config.use_base
            else Batch(*(getattr(b, f) for f in Batch.__slots__[:5]), 0 * b.base, b.labels)
        )
        print(
            f"{name:8} window   {binary_metrics(b.labels.astype(bool), probabilities(params, shown)).describe()}"
        )
    save(params, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
