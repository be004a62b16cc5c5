"""Runs a corpus of audio cases through sessions at each turn-taking setting and sums up the outcomes in the
table format of ``benchmarks.turn_taking`` (pauses cut off, mean wait after the true end, 1-word max)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
from trio.testing import MockClock

from benchmarks.turn_audio.render import CaseAudio
from benchmarks.turn_audio.session_run import REPLY_TTFT, Outcome, detector_under_test, play_case
from pipeline.settings import TurnSettings
from turn.delay_policy import DelayPolicy
from turn.eot.protocols import TurnCompletionModel

Row = dict[str, float | str | int]


@dataclass(frozen=True)
class Setting:
    label: str
    turn: TurnSettings


def settings_to_compare(
    silence_delays: list[float], eagerness: tuple[str, ...], audio_model: Path | None = None
) -> list[Setting]:
    """The semantic presets (with ``audio_model`` as their Smart Turn file, if given), then silence-only."""
    semantic = [
        Setting(
            f"semantic/{e}" + ("+audio" if audio_model else ""),
            TurnSettings(detector="semantic", eagerness=e, audio_model_path=audio_model),
        )
        for e in eagerness
    ]
    silence = [
        Setting(f"silence/{delay:.2f}s", TurnSettings(detector="silence", endpointing_delay=delay))
        for delay in silence_delays
    ]
    return semantic + silence


def run_setting(
    audios: list[CaseAudio],
    turn: TurnSettings,
    *,
    model: TurnCompletionModel | None = None,
    policy: Callable[[TurnSettings], DelayPolicy] | None = None,
    reply_ttft: float = REPLY_TTFT,
) -> list[Outcome]:
    """Every case in its own fresh session, one after the other, on one virtual clock."""

    async def all_cases() -> list[Outcome]:
        with detector_under_test(model, policy):
            return [await play_case(audio, turn, reply_ttft) for audio in audios]

    return anyio.run(all_cases, backend="trio", backend_options={"clock": MockClock(autojump_threshold=0)})


def is_one_word_answer(audio: CaseAudio) -> bool:
    return len(audio.case.chunks) == 1 and len(audio.case.full_text.split()) == 1


def summarize(label: str, audios: list[CaseAudio], outcomes: list[Outcome]) -> Row:
    pauses = sum(o.pauses for o in outcomes)
    cut = sum(o.pauses_cut for o in outcomes)
    waits = [o.wait for o in outcomes if o.wait is not None]
    one_word = [o.wait for a, o in zip(audios, outcomes, strict=True) if is_one_word_answer(a) and o.wait]
    return {
        "setting": label,
        "pauses": pauses,
        "false_cut_offs": cut,
        "false_cut_off_rate": cut / pauses if pauses else 0.0,
        "cases_cut_off": sum(1 for o in outcomes if o.pauses_cut or o.mid_speech_cuts) / len(outcomes),
        "mid_speech_cuts": sum(o.mid_speech_cuts for o in outcomes),
        "cuts_after_resume": sum(o.cuts_after_resume for o in outcomes),
        "talked_over": sum(o.talked_over for o in outcomes),
        "talked_over_rate": sum(o.talked_over for o in outcomes) / pauses if pauses else 0.0,
        "no_decision": sum(1 for o in outcomes if o.wait is None),
        "mean_wait_ms": 1000 * statistics.mean(waits) if waits else float("nan"),
        "p90_wait_ms": 1000 * sorted(waits)[int(0.9 * (len(waits) - 1))] if waits else float("nan"),
        "one_word_max_wait_ms": 1000 * max(one_word) if one_word else float("nan"),
    }


HEADER = (
    f"{'setting':18} {'pauses':>6} {'cut-offs':>8} {'rate':>7} {'cases cut':>9} {'mean wait':>10}"
    f" {'p90 wait':>9} {'1-word max':>10} {'mid-speech':>10} {'resumed':>7} {'no end':>6} {'heard over':>10}"
)


def format_row(row: Row) -> str:
    return (
        f"{row['setting']:18} {row['pauses']:>6} {row['false_cut_offs']:>8}"
        f" {100 * float(row['false_cut_off_rate']):>6.1f}% {100 * float(row['cases_cut_off']):>8.1f}%"
        f" {row['mean_wait_ms']:>8.0f}ms {row['p90_wait_ms']:>7.0f}ms {row['one_word_max_wait_ms']:>8.0f}ms"
        f" {row['mid_speech_cuts']:>10} {row['cuts_after_resume']:>7} {row['no_decision']:>6}"
        f" {100 * float(row['talked_over_rate']):>9.1f}%"
    )
