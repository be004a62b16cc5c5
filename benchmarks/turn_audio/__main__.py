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
"mid-speech" decisions inside a case's first piece (the VAD heard a stop inside the speech); "resumed" the
cut-offs decided after the caller had already started again (before the VAD could confirm it: a cut-off the text
simulation cannot show); "no end" cases with no decision after the true end; "heard over" the share of pauses whose cut-off the caller
heard: agent speech played after the decision and before the caller's next piece ended (the simulated reply
starts ``--reply-ttft`` after the decision plus 50 ms to the TTS's first audio; a cut-off whose reply the caller's
resumed speech cancels before it plays is not heard). Settings run in ``--jobs`` worker
processes; rendered audio is cached in ``.cache/turn_audio/``.

    uv run python -m benchmarks.turn_audio [--corpora old dev test] [--every N]
        [--text-model PATH | --model MODULE:FUNC | --policy MODULE:FUNC]
        [--with-text] [--out F.json]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import time
from dataclasses import asdict
from pathlib import Path

import anyio
from trio.testing import MockClock

from benchmarks.turn_audio.jobs import Plugin, Selection, run_one
from benchmarks.turn_audio.render import CACHE_DIR, piper_available
from benchmarks.turn_audio.report import HEADER, Row, format_row, settings_to_compare, summarize
from benchmarks.turn_audio.session_run import REPLY_TTFT
from benchmarks.turn_corpus import TurnCase

CORPORA = {"old": "old corpus", "dev": "blind dev", "test": "blind test (locked)"}


def text_simulation(
    cases: list[TurnCase], silence_delays: list[float], eagerness: tuple[str, ...]
) -> list[Row]:
    """The same cases through ``benchmarks.turn_taking``'s text-and-pause simulation, for comparison."""
    from benchmarks import turn_taking

    settings = [turn_taking.Setting(s.label, s.turn) for s in settings_to_compare(silence_delays, eagerness)]

    async def rows() -> list[Row]:
        return [await turn_taking.evaluate(cases, s, turn_taking.Timing()) for s in settings]

    return anyio.run(rows, backend="trio", backend_options={"clock": MockClock(autojump_threshold=0)})


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
    parser.add_argument(
        "--audio-model",
        type=Path,
        help="a Smart Turn v3 ONNX file for the semantic presets (turn.audio_model_path)",
    )
    parser.add_argument(
        "--reply-ttft",
        type=float,
        default=REPLY_TTFT,
        help="the simulated LLM's first token after a decision, s",
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (settings run in parallel)")
    parser.add_argument("--with-text", action="store_true", help="also print the text simulation's table")
    parser.add_argument("--out", type=Path, help="write every row (and per-case outcomes) as JSON here")
    args = parser.parse_args()
    plugin = Plugin(args.text_model, args.model, args.policy)
    plugin.resolve()  # fail early on a bad spec
    eagerness = tuple(args.eagerness)
    use_piper = piper_available() and not args.no_piper
    print(
        f"caller audio: espeak-ng voices{' + Piper' if use_piper else ''}; real Silero VAD; perfect STT"
        f" (+100 ms); cache {CACHE_DIR}; {args.jobs} process(es)"
        + (f"; every {args.every}th case" if args.every > 1 else "")
    )
    report: dict[str, object] = {}
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(args.jobs, mp_context=context) as pool:
        for name in args.corpora:
            selection = Selection(name, args.cases, args.every, use_piper)
            started = time.monotonic()
            audios = selection.audios()  # renders what the cache lacks, here, before the workers read it
            rendered = time.monotonic() - started
            rows: list[Row] = []
            per_case: dict[str, list[dict[str, object]]] = {}
            print(f"\n== {CORPORA[name]} (audio; {len(audios)} cases, rendered in {rendered:.0f} s)")
            print(HEADER)
            settings = settings_to_compare(args.silence_delays, eagerness, args.audio_model)
            futures = [
                pool.submit(run_one, selection, setting.turn, plugin, args.reply_ttft) for setting in settings
            ]
            for setting, future in zip(settings, futures, strict=True):
                outcomes = future.result()
                row = summarize(setting.label, audios, outcomes)
                rows.append(row)
                per_case[setting.label] = [
                    asdict(o) | {"voice": a.voice.label} for a, o in zip(audios, outcomes, strict=True)
                ]
                print(format_row(row), flush=True)
            cases = [audio.case for audio in audios]
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
