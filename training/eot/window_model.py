"""EXPERIMENT (issue 16), not shipped: a small neural end-of-turn model over the last words, trained by
``training.eot.train_window``. It did not beat the shipped logistic model on the blind dev split, so it lives
under ``training/`` and the runtime never loads it (numbers: ``benchmarks/turn_model_compare.py``).


Each of the last ``WINDOW`` tokens is embedded as the sum of hashed embeddings of the word, its word class and
(averaged) its character trigrams, so an unseen name or a misspelling still lands near words like it. The slots
are concatenated by position (a word CNN reduced to the one position that matters: the end), with a bag of the
agent question's words, the question type, the number context, the transcript's last punctuation and its length,
and go through one ReLU layer. Its output is added to the logit of the hashed logistic model
(``TextTurnModel``): the network learns a correction of that model, e.g. "a verb still waiting for its object"
or "half of a multi-word name" that single n-grams cannot express. Pure numpy, no runtime dependency.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from turn.eot.agent_context import analyze_agent
from turn.eot.lexicon import NumberContext, QuestionType
from turn.eot.text_model import NEUTRAL_PROBABILITY, TextTurnModel
from turn.eot.tokens import tokenize, word_class

WINDOW_VERSION = 1
WINDOW = 6  # tokens looked at, from the end
N_HASH = 1 << 14  # embedding rows (hashed); row N_HASH is the all-zero padding row
QUESTION_WORDS = 8  # last words of the agent question, as a bag
MAX_PIECES = 12  # word + class + up to 10 character trigrams per token
DEFAULT_WINDOW_WEIGHTS_PATH = (
    Path(__file__).resolve().parent / "data" / "window_eot_weights.npz"
)  # not shipped
_QUESTION_TYPES = tuple(QuestionType)
_NUMBER_CONTEXTS = tuple(NumberContext)
_ENDINGS = (".", "?", ",", "!")
_LENGTH_BINS = (1, 2, 3, 5, 8)
N_DENSE = len(_QUESTION_TYPES) + len(_NUMBER_CONTEXTS) + len(_ENDINGS) + 1 + len(_LENGTH_BINS) + 1


class WindowModelLoadError(ValueError):
    """The weights file is missing, unreadable, or was trained for a different version."""


def _bucket(piece: str) -> int:
    return zlib.crc32(piece.encode("utf-8")) % N_HASH


def token_pieces(token: str) -> tuple[list[int], list[float]]:
    """Hashed rows and their weights for one token: the word, its class, its character trigrams (mean)."""
    marked = f"<{token}>"
    trigrams = [marked[i : i + 3] for i in range(len(marked) - 2)][: MAX_PIECES - 2]
    rows = [_bucket("w:" + token), _bucket("c:" + word_class(token))]
    weights = [1.0, 1.0]
    rows += [_bucket("t:" + t) for t in trigrams]
    weights += [1.0 / len(trigrams)] * len(trigrams)
    return rows, weights


@dataclass(frozen=True, slots=True)
class WindowInputs:
    """One decision's inputs, as index/weight arrays (padding: row ``N_HASH``, weight 0)."""

    slot_rows: np.ndarray  # (WINDOW, MAX_PIECES) int
    slot_weights: np.ndarray  # (WINDOW, MAX_PIECES) float
    question_rows: np.ndarray  # (QUESTION_WORDS,) int
    question_weights: np.ndarray  # (QUESTION_WORDS,) float
    dense: np.ndarray  # (N_DENSE,) float


def window_inputs(transcript: str, agent_last_utterance: str | None) -> WindowInputs:
    tokens = tokenize(transcript)[-WINDOW:]
    slot_rows = np.full((WINDOW, MAX_PIECES), N_HASH, dtype=np.int64)
    slot_weights = np.zeros((WINDOW, MAX_PIECES), dtype=np.float64)
    offset = WINDOW - len(tokens)
    for i, token in enumerate(tokens):
        rows, weights = token_pieces(token)
        slot_rows[offset + i, : len(rows)] = rows
        slot_weights[offset + i, : len(weights)] = weights
    question = tokenize(agent_last_utterance or "")[-QUESTION_WORDS:]
    question_rows = np.full(QUESTION_WORDS, N_HASH, dtype=np.int64)
    question_weights = np.zeros(QUESTION_WORDS, dtype=np.float64)
    for i, word in enumerate(question):
        question_rows[i] = _bucket("q:" + word)
        question_weights[i] = 1.0 / len(question)
    context = analyze_agent(agent_last_utterance)
    dense = np.zeros(N_DENSE, dtype=np.float64)
    dense[_QUESTION_TYPES.index(context.question_type)] = 1.0
    at = len(_QUESTION_TYPES)
    dense[at + _NUMBER_CONTEXTS.index(context.number_context)] = 1.0
    at += len(_NUMBER_CONTEXTS)
    last = transcript.rstrip()[-1:]
    dense[at + (_ENDINGS.index(last) if last in _ENDINGS else len(_ENDINGS))] = 1.0
    at += len(_ENDINGS) + 1
    n_words = len(tokenize(transcript))
    dense[at + sum(1 for b in _LENGTH_BINS if n_words > b)] = 1.0
    return WindowInputs(slot_rows, slot_weights, question_rows, question_weights, dense)


@dataclass(frozen=True, slots=True)
class WindowWeights:
    embeddings: np.ndarray  # (N_HASH + 1, dim), last row zero
    question_embeddings: np.ndarray  # (N_HASH + 1, dim), last row zero
    hidden: np.ndarray  # (WINDOW*dim + dim + N_DENSE, units)
    hidden_bias: np.ndarray  # (units,)
    out: np.ndarray  # (units,)
    out_bias: float
    base_scale: float  # weight of the logistic model's (temperature-scaled) logit


def window_logit(weights: WindowWeights, inputs: WindowInputs, base_logit: float) -> float:
    slots = (weights.embeddings[inputs.slot_rows] * inputs.slot_weights[..., None]).sum(axis=1)
    question = (weights.question_embeddings[inputs.question_rows] * inputs.question_weights[:, None]).sum(
        axis=0
    )
    x = np.concatenate([slots.reshape(-1), question, inputs.dense])
    h = np.maximum(x @ weights.hidden + weights.hidden_bias, 0.0)
    return float(h @ weights.out + weights.out_bias + weights.base_scale * base_logit)


class WindowTurnModel:
    """``TextTurnModel`` plus the window network's correction (with ``base_scale`` 0: the network alone)."""

    def __init__(self, base: TextTurnModel, weights: WindowWeights) -> None:
        self.base = base
        self.weights = weights

    @classmethod
    def load(cls, path: str | Path | None = None, base: TextTurnModel | None = None) -> WindowTurnModel:
        weights_path = Path(path) if path is not None else DEFAULT_WINDOW_WEIGHTS_PATH
        if not weights_path.is_file():
            raise WindowModelLoadError(f"window end-of-turn weights not found: {weights_path}")
        try:
            with np.load(weights_path) as data:
                version = int(data["version"])
                if (
                    version != WINDOW_VERSION
                    or int(data["n_hash"]) != N_HASH
                    or int(data["window"]) != WINDOW
                ):
                    raise WindowModelLoadError(
                        f"{weights_path} is window model version {version}; this code uses {WINDOW_VERSION}. "
                        "Retrain: uv run python -m training.eot.train_window"
                    )
                weights = WindowWeights(
                    data["embeddings"].astype(np.float64),
                    data["question_embeddings"].astype(np.float64),
                    data["hidden"].astype(np.float64),
                    data["hidden_bias"].astype(np.float64),
                    data["out"].astype(np.float64),
                    float(data["out_bias"]),
                    float(data["base_scale"]),
                )
        except WindowModelLoadError:
            raise
        except (OSError, KeyError, ValueError) as exc:
            raise WindowModelLoadError(
                f"cannot read window end-of-turn weights {weights_path}: {exc}"
            ) from exc
        return cls(base if base is not None else TextTurnModel.load(), weights)

    def logit(self, transcript: str, agent_last_utterance: str | None = None) -> float:
        base = self.base.logit(transcript, agent_last_utterance) / self.base.temperature
        return window_logit(self.weights, window_inputs(transcript, agent_last_utterance), base)

    def predict(self, transcript: str, agent_last_utterance: str | None = None) -> float:
        """Probability in [0, 1] that the user has finished their turn."""
        if not transcript.strip():
            return NEUTRAL_PROBABILITY
        z = self.logit(transcript, agent_last_utterance)
        return 1.0 / (1.0 + math.exp(-max(-35.0, min(35.0, z))))


def stack_inputs(items: Sequence[WindowInputs]) -> tuple[np.ndarray, ...]:
    """Batch arrays (for training and batch evaluation)."""
    return (
        np.stack([i.slot_rows for i in items]),
        np.stack([i.slot_weights for i in items]),
        np.stack([i.question_rows for i in items]),
        np.stack([i.question_weights for i in items]),
        np.stack([i.dense for i in items]),
    )
