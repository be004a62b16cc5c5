"""The Whisper capacity benchmark's step verdict, on synthetic numbers (no Whisper, no wall clock)."""

from __future__ import annotations

import math

from benchmarks.whisper_capacity import SessionLog, summarize, verdict

LIMITS = {"limit": 1.0, "growth_limit": 0.25}


def test_steady_fast_finals_hold() -> None:
    holds, growth, reason = verdict([0.5, 0.6, 0.55] * 10, unanswered=2, sessions=4, **LIMITS)
    assert holds and reason == "holds" and abs(growth) < 0.01


def test_a_slow_tail_fails_on_the_p95() -> None:
    holds, _, reason = verdict([0.5] * 18 + [1.4, 1.6], unanswered=0, sessions=4, **LIMITS)
    assert not holds and "p95" in reason


def test_a_growing_delay_fails_even_under_the_limit() -> None:
    delays = [0.3 + 0.02 * index for index in range(30)]  # 0.30 -> 0.88 s: a queue building up
    holds, growth, reason = verdict(delays, unanswered=0, sessions=4, **LIMITS)
    assert not holds and "grew" in reason and growth > 0.25


def test_speech_ends_left_waiting_fail_the_step() -> None:
    holds, _, reason = verdict([0.5] * 30, unanswered=9, sessions=4, **LIMITS)
    assert not holds and "unanswered" in reason


def test_too_few_finals_never_hold() -> None:
    holds, growth, _ = verdict([0.5, 0.5], unanswered=0, sessions=1, **LIMITS)
    assert not holds and math.isnan(growth)


def test_summary_merges_sessions_in_time_order() -> None:
    early_fast = SessionLog(finals=[(1.0, 0.4), (2.0, 0.4), (3.0, 0.4)], queue_delays=[0.0, 0.1], stops=3)
    late_slow = SessionLog(finals=[(7.0, 0.9), (8.0, 0.9), (9.0, 0.9)], queue_delays=[0.5], stops=4)
    step = summarize(2, 10.0, (1.0, 1.0, 1.0), [late_slow, early_fast], cpu_seconds=15.0, **LIMITS)
    assert (step.finals, step.unanswered) == (6, 1)
    assert step.cpu_percent == 150.0
    assert math.isclose(
        step.growth, 0.5
    )  # the late finals are the slow ones, whichever session they came from
    assert not step.holds and "grew" in step.reason
