"""Turn-taking on caller AUDIO: false cut-offs and the wait after the true end of turn, through a full Session.

The cases of ``benchmarks.turn_taking`` (the old generated corpus, the blind dev split and the LOCKED blind test
split; tune on dev only) are rendered as caller audio (``render.py``: several espeak-ng voices, rates and
pitches, and the bundled Piper voice for a quarter of the cases when the neural extra is installed; pauses as in
the case, 0.3-2.0 s in the blind sets) and played in real-time 20 ms frames into a real ``Session``
(``session_run.py``): real Silero VAD, the real controller and ``TurnDetector``, a perfect STT that answers each
Finalize 100 ms later with the words spoken so far. Virtual time (trio MockClock), so results are exact and
repeatable; CPU time is what bounds the run.

Columns: "rate" is internal pauses with an end-of-turn decision before the caller went on (the decision counts
against the pause it falls after, up to the end of the next piece); "mean wait" is true end of the caller's audio
(last audible sample) -> first decision after it; "1-word max" the longest such wait after a one-word answer;
"mid-speech" decisions inside a case's first piece (the VAD heard a stop inside the speech); "no end" cases
with no decision after the true end.

    uv run python -m benchmarks.turn_audio [--corpora old dev test] [--every N]
        [--text-model PATH | --model MODULE:FUNC | --policy MODULE:FUNC]
        [--with-text] [--out F.json]
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import anyio
from trio.testing import MockClock

from benchmarks.turn_audio.render import CACHE_DIR, CaseAudio, piper_available, render
from benchmarks.turn_audio.report import HEADER, Row, format_row, run_setting, settings_to_compare, summarize
from benchmarks.turn_blind import BlindSplit, build_blind
from benchmarks.turn_corpus import TurnCase, build_corpus
from pipeline.settings import TurnSettings
from turn.delay_policy import DelayPolicy
from turn.eot.protocols import TurnCompletionModel

TAIL_S = 4.0  # silence after the last piece: longer than any setting's wait
CORPORA = {"old": "old corpus", "dev": "blind dev", "test": "blind test (locked)"}


def corpus(name: str, n_cases: int) -> list[TurnCase]:
    if name == "old":
        return build_corpus(n_cases=n_cases)
    return build_blind(BlindSplit.DEV if name == "dev" else BlindSplit.TEST)


def text_simulation(
    cases: list[TurnCase], silence_delays: list[float], eagerness: tuple[str, ...]
) -> list[Row]:
    """The same cases through ``benchmarks.turn_taking``'s text-and-pause simulation, for comparison."""
    from benchmarks import turn_taking

    settings = [turn_taking.Setting(s.label, s.turn) for s in settings_to_compare(silence_delays, eagerness)]

    async def rows() -> list[Row]:
        return [await turn_taking.evaluate(cases, s, turn_taking.Timing()) for s in settings]

    return anyio.run(rows, backend="trio", backend_options={"clock": MockClock(autojump_threshold=0)})


def _load(spec: str) -> Any:
    """``package.module:function`` -> the function."""
    module, _, name = spec.partition(":")
    if not name:
        raise SystemExit(f"expected MODULE:FUNC, got {spec!r}")
    return getattr(importlib.import_module(module), name)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpora", nargs="+", choices=list(CORPORA), default=list(CORPORA))
    parser.add_argument("--cases", type=int, default=100, help="cases of the old corpus")
    parser.add_argument("--every", type=int, default=1, help="a deterministic subset: every N-th case")
    parser.add_argument("--eagerness", nargs="+", default=["high", "medium", "low", "auto"])
    parser.add_argument("--silence-delays", type=float, nargs="+", default=[0.6, 1.0, 1.6, 2.0])
    parser.add_argument("--no-piper", action="store_true", help="espeak-ng voices only")
    parser.add_argument(
        "--text-model", type=Path, help="another text end-of-turn weights file (TextTurnModel)"
    )
    parser.add_argument(
        "--model", metavar="MODULE:FUNC", help="a function returning any TurnCompletionModel, used instead"
    )
    parser.add_argument(
        "--policy",
        metavar="MODULE:FUNC",
        help="a function TurnSettings -> DelayPolicy, used instead of the runtime's",
    )
    parser.add_argument("--with-text", action="store_true", help="also print the text simulation's table")
    parser.add_argument("--out", type=Path, help="write every row (and per-case outcomes) as JSON here")
    args = parser.parse_args()
    model: TurnCompletionModel | None = None
    if args.text_model is not None:
        from turn.eot.text_model import TextTurnModel

        model = TextTurnModel.load(args.text_model)
    if args.model:
        model = _load(args.model)()
    policy: Callable[[TurnSettings], DelayPolicy] | None = _load(args.policy) if args.policy else None
    eagerness = tuple(args.eagerness)
    use_piper = piper_available() and not args.no_piper
    print(
        f"caller audio: espeak-ng voices{' + Piper' if use_piper else ''}; real Silero VAD; perfect STT"
        f" (+100 ms); cache {CACHE_DIR}" + (f"; every {args.every}th case" if args.every > 1 else "")
    )
    report: dict[str, object] = {}
    for name in args.corpora:
        cases = corpus(name, args.cases)[:: args.every]
        started = time.monotonic()
        audios: list[CaseAudio] = [render(case, tail_s=TAIL_S, use_piper=use_piper) for case in cases]
        rendered = time.monotonic() - started
        rows: list[Row] = []
        per_case: dict[str, list[dict[str, object]]] = {}
        print(f"\n== {CORPORA[name]} (audio; {len(cases)} cases, rendered in {rendered:.0f} s)")
        print(HEADER)
        for setting in settings_to_compare(args.silence_delays, eagerness):
            outcomes = run_setting(audios, setting.turn, model=model, policy=policy)
            row = summarize(setting.label, audios, outcomes)
            rows.append(row)
            per_case[setting.label] = [
                asdict(o) | {"voice": a.voice.label} for a, o in zip(audios, outcomes, strict=True)
            ]
            print(format_row(row), flush=True)
        report[name] = {"audio": rows, "per_case": per_case}
        if args.with_text:
            text_rows = text_simulation(cases, args.silence_delays, eagerness)
            report[name] = {**report[name], "text": text_rows}  # type: ignore[dict-item]
            print(f"-- {CORPORA[name]} (text simulation, same cases)")
            for text_row in text_rows:
                print(
                    f"{text_row['setting']:18} {text_row['pauses']:>6} {text_row['false_cut_offs']:>8}"
                    f" {100 * float(text_row['false_cut_off_rate']):>6.1f}%"
                    f" {100 * float(text_row['cases_cut_off']):>8.1f}% {text_row['mean_wait_ms']:>8.0f}ms"
                    f" {text_row['p90_wait_ms']:>7.0f}ms {text_row['one_word_max_wait_ms']:>8.0f}ms"
                )
    if args.out:
        args.out.write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
