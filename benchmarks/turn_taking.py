"""Turn-taking benchmark: false cut-offs and the wait after the true end of turn, silence-only vs semantic.

Each corpus case (``benchmarks/turn_corpus.py``: phone numbers, addresses, lists, unfinished clauses read with
mid-turn pauses of 0.45-1.4 s, plus complete utterances) is played against the REAL turn detector
(``turn/detector.py``) with the real delay policies, on a virtual clock, with the pipeline's default timings around
it: the caller speaks at 0.3 s per word; the VAD confirms silence after 0.16 s (the default min_silence_duration
of 0.15 s in whole 32 ms windows); the final transcript answers Finalize 0.1 s later. At each internal pause a decision counts as a false
cut-off; at the true end, the wait is from the end of speech to the decision.

Three corpora are reported separately: the old generated corpus (``turn_corpus``), and the blind hand-written
dev split and LOCKED test split of ``turn_blind`` (tune on dev only). "1-word max" is the longest wait after a
complete one-word answer (target: at most 600 ms).

    uv run python -m benchmarks.turn_taking
    uv run python -m benchmarks.turn_taking --audio [turn_audio options]   # the same cases as caller audio

``--audio`` runs ``benchmarks.turn_audio`` instead: the cases spoken (espeak-ng voices, Piper) through a full
Session with real Silero VAD and a perfect STT.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass

import anyio
from trio.testing import MockClock

from benchmarks.turn_blind import BlindSplit, build_blind
from benchmarks.turn_corpus import TurnCase, build_corpus
from pipeline.settings import TurnSettings
from pipeline.stages.turn_setup import delay_policy
from providers.stt import Transcript
from turn.decision import TurnDecision
from turn.detector import TurnDetector, TurnState

SECONDS_PER_WORD = 0.3
VAD_STOP_DELAY = 0.16
STT_FINAL_DELAY = 0.1
FINAL_SILENCE = 6.0  # long enough for every setting to decide


@dataclass(frozen=True)
class Timing:
    """What surrounds the detector: how long the VAD takes to confirm silence, and the STT to answer Finalize."""

    vad_stop: float = VAD_STOP_DELAY
    stt_delay: float = STT_FINAL_DELAY


@dataclass
class CaseResult:
    pauses: int
    cut_offs: int
    wait: float | None  # None: the turn had already been taken at a pause and never ended cleanly


async def play(case: TurnCase, settings: TurnSettings, timing: Timing) -> CaseResult:
    """One caller turn against the detector; times are relative to the start of the case."""
    start = anyio.current_time()
    decisions: list[float] = []

    def decided(decision: TurnDecision) -> None:
        decisions.append(anyio.current_time() - start)

    detector = TurnDetector(
        delay_policy(settings, lambda: None),  # type: ignore[arg-type]
        decided,
        stt_timeout=settings.stt_timeout,
        agent_last_utterance=lambda: case.agent_question,
    )
    async with anyio.create_task_group() as group:
        group.start_soon(detector.run)
        for index, chunk in enumerate(case.chunks):
            if isinstance(chunk, float):
                await anyio.sleep(chunk)
                continue
            if detector.state is not TurnState.SPEAKING:
                detector.on_speech_started()
            await anyio.sleep(len(chunk.split()) * SECONDS_PER_WORD)
            last = index == len(case.chunks) - 1
            if (FINAL_SILENCE if last else float(case.chunks[index + 1])) > timing.vad_stop:
                group.start_soon(_stop_and_transcribe, detector, chunk, anyio.current_time(), timing)
        await anyio.sleep(FINAL_SILENCE)
        group.cancel_scope.cancel()
    windows = _pause_windows(case)
    cut_offs = sum(
        1 for position, pause in windows if any(position < t <= position + pause for t in decisions)
    )
    final_end = _speech_end(case)
    after = [t - final_end for t in decisions if t > final_end]
    return CaseResult(len(windows), cut_offs, min(after) if after else None)


async def _stop_and_transcribe(
    detector: TurnDetector, text: str, end_of_speech: float, timing: Timing
) -> None:
    await anyio.sleep(timing.vad_stop)
    detector.on_speech_stopped(end_of_speech)
    await anyio.sleep(timing.stt_delay)
    detector.on_transcript(Transcript(text, is_final=True, from_finalize=True))


def _pause_windows(case: TurnCase) -> list[tuple[float, float]]:
    """(end of speech, pause length) of every internal pause, on the simulation's timeline."""
    windows, now = [], 0.0
    for chunk in case.chunks:
        if isinstance(chunk, str):
            now += len(chunk.split()) * SECONDS_PER_WORD
        else:
            windows.append((now, float(chunk)))
            now += float(chunk)
    return windows


def _speech_end(case: TurnCase) -> float:
    return sum(len(c.split()) * SECONDS_PER_WORD if isinstance(c, str) else float(c) for c in case.chunks)


@dataclass(frozen=True)
class Setting:
    label: str
    turn: TurnSettings


def settings_to_compare(silence_delays: list[float]) -> list[Setting]:
    semantic = [
        Setting(f"semantic/{e}", TurnSettings(detector="semantic", eagerness=e))
        for e in ("high", "medium", "low", "auto")
    ]
    silence = [
        Setting(f"silence/{delay:.2f}s", TurnSettings(detector="silence", endpointing_delay=delay))
        for delay in silence_delays
    ]
    return semantic + silence


async def evaluate(cases: list[TurnCase], setting: Setting, timing: Timing) -> dict[str, float | str | int]:
    results: list[CaseResult] = []
    one_word_waits: list[float] = []

    async def one(case: TurnCase) -> None:
        result = await play(case, setting.turn, timing)
        results.append(result)
        if len(case.chunks) == 1 and len(case.full_text.split()) == 1 and result.wait is not None:
            one_word_waits.append(result.wait)

    async with anyio.create_task_group() as group:
        for case in cases:
            group.start_soon(one, case)
    pauses = sum(r.pauses for r in results)
    cut = sum(r.cut_offs for r in results)
    waits = [r.wait for r in results if r.wait is not None]
    return {
        "setting": setting.label,
        "pauses": pauses,
        "false_cut_offs": cut,
        "false_cut_off_rate": cut / pauses if pauses else 0.0,
        "cases_cut_off": sum(1 for r in results if r.cut_offs) / len(results),
        "mean_wait_ms": 1000 * statistics.mean(waits) if waits else float("nan"),
        "p90_wait_ms": 1000 * sorted(waits)[int(0.9 * (len(waits) - 1))] if waits else float("nan"),
        "one_word_max_wait_ms": 1000 * max(one_word_waits) if one_word_waits else float("nan"),
    }


def corpora(n_cases: int) -> dict[str, list[TurnCase]]:
    """The reported corpora: the old generated corpus, and the blind dev and LOCKED test splits."""
    return {
        "old corpus": build_corpus(n_cases=n_cases),
        "blind dev": build_blind(BlindSplit.DEV),
        "blind test (locked)": build_blind(BlindSplit.TEST),
    }


async def run_all(
    n_cases: int, silence_delays: list[float], timing: Timing
) -> dict[str, list[dict[str, float | str | int]]]:
    return {
        name: [await evaluate(cases, setting, timing) for setting in settings_to_compare(silence_delays)]
        for name, cases in corpora(n_cases).items()
    }


def main() -> None:
    if "--audio" in sys.argv[1:]:
        from benchmarks.turn_audio.__main__ import main as audio_main

        sys.argv.remove("--audio")
        audio_main()
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument(
        "--silence-delays", type=float, nargs="+", default=[0.3, 0.4, 0.6, 1.0, 1.6, 2.0, 2.4]
    )
    parser.add_argument("--vad-stop", type=float, default=VAD_STOP_DELAY, help="VAD silence confirmation, s")
    parser.add_argument(
        "--stt-delay", type=float, default=STT_FINAL_DELAY, help="Finalize -> final transcript, s"
    )
    args = parser.parse_args()
    timing = Timing(vad_stop=args.vad_stop, stt_delay=args.stt_delay)
    tables = anyio.run(
        run_all,
        args.cases,
        args.silence_delays,
        timing,
        backend="trio",
        backend_options={"clock": MockClock(autojump_threshold=0)},
    )
    print(
        f"{args.cases} cases; caller {SECONDS_PER_WORD} s/word; VAD stop {timing.vad_stop * 1000:.0f} ms;"
        f" STT final +{timing.stt_delay * 1000:.0f} ms"
    )
    for name, rows in tables.items():
        print(f"\n== {name}")
        print(
            f"{'setting':18} {'pauses':>6} {'cut-offs':>8} {'rate':>7} {'cases cut':>9} {'mean wait':>10}"
            f" {'p90 wait':>9} {'1-word max':>10}"
        )
        for row in rows:
            print(
                f"{row['setting']:18} {row['pauses']:>6} {row['false_cut_offs']:>8}"
                f" {100 * float(row['false_cut_off_rate']):>6.1f}% {100 * float(row['cases_cut_off']):>8.1f}%"
                f" {row['mean_wait_ms']:>8.0f}ms {row['p90_wait_ms']:>7.0f}ms {row['one_word_max_wait_ms']:>8.0f}ms"
            )


if __name__ == "__main__":
    main()
