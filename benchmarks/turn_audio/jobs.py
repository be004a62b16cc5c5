"""The work of the audio benchmark, importable by worker processes: which cases, which detector, one setting."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.turn_audio.render import CaseAudio, render
from benchmarks.turn_audio.report import run_setting
from benchmarks.turn_audio.session_run import Outcome
from benchmarks.turn_blind import BlindSplit, build_blind
from benchmarks.turn_corpus import TurnCase, build_corpus
from pipeline.settings import TurnSettings
from turn.delay_policy import DelayPolicy
from turn.eot.protocols import TurnCompletionModel

TAIL_S = 4.0  # silence after the last piece: longer than any setting's wait (a case stops once decided)


def corpus(name: str, n_cases: int) -> list[TurnCase]:
    if name == "old":
        return build_corpus(n_cases=n_cases)
    return build_blind(BlindSplit.DEV if name == "dev" else BlindSplit.TEST)


@dataclass(frozen=True)
class Plugin:
    """What stands in for the shipped end-of-turn detector, named so a worker process can build it."""

    text_model: Path | None = None  # a TextTurnModel weights file
    model: str | None = None  # MODULE:FUNC returning a TurnCompletionModel
    policy: str | None = None  # MODULE:FUNC, TurnSettings -> DelayPolicy

    def resolve(self) -> tuple[TurnCompletionModel | None, Callable[[TurnSettings], DelayPolicy] | None]:
        model: TurnCompletionModel | None = None
        if self.text_model is not None:
            from turn.eot.text_model import TextTurnModel

            model = TextTurnModel.load(self.text_model)
        if self.model:
            model = load(self.model)()
        return model, load(self.policy) if self.policy else None


@dataclass(frozen=True)
class Selection:
    """Which cases a worker plays: a corpus, the old corpus's size, a subset step, Piper or not."""

    corpus: str
    n_cases: int
    every: int
    use_piper: bool

    def audios(self) -> list[CaseAudio]:
        cases = corpus(self.corpus, self.n_cases)[:: self.every]
        return [render(case, tail_s=TAIL_S, use_piper=self.use_piper) for case in cases]


def run_one(selection: Selection, turn: TurnSettings, plugin: Plugin, reply_ttft: float) -> list[Outcome]:
    """One setting over one corpus (in a worker process; the audio comes from the cache)."""
    model, policy = plugin.resolve()
    return run_setting(selection.audios(), turn, model=model, policy=policy, reply_ttft=reply_ttft)


def load(spec: str) -> Any:
    """``package.module:function`` -> the function."""
    module, _, name = spec.partition(":")
    if not name:
        raise SystemExit(f"expected MODULE:FUNC, got {spec!r}")
    return getattr(importlib.import_module(module), name)
