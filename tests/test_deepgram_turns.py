"""The Deepgram adapters' bookkeeping without a socket: answering finalize() on Nova and on Flux, and the audio
kept for re-sending after a drop."""

from __future__ import annotations

import pytest

from pipeline.base.audio import AudioFrame
from providers.deepgram.finalize import FinalizeTracker
from providers.deepgram.flux_turns import FluxTurnTracker, TurnEvent
from providers.deepgram.ledger import AudioLedger, Control
from providers.stt import Transcript, TurnSignal

RATE = 16000


def final(text: str) -> Transcript:
    return Transcript(text, is_final=True)


def marks(transcripts: list[Transcript]) -> list[tuple[str, bool]]:
    return [(t.text, t.from_finalize) for t in transcripts]


# --- Nova: Finalize ------------------------------------------------------------------------------------------


def test_a_flagged_final_that_ends_early_waits_for_the_rest() -> None:
    tracker = FinalizeTracker(timeout=1.5, settle=0.25)
    tracker.requested(now=0.0)
    tracker.sent(connection_time=3.0)
    assert tracker.on_final(final("one"), covered_until=2.0, flagged=True, now=0.1) == []
    assert tracker.deadline == pytest.approx(0.35)
    out = tracker.on_final(final("two"), covered_until=3.0, flagged=True, now=0.2)
    assert marks(out) == [("one", False), ("two", True)]
    assert tracker.deadline is None


def test_a_held_answer_is_released_marked_when_the_wait_ends_or_speech_resumes() -> None:
    tracker = FinalizeTracker(timeout=1.5, settle=0.25)
    tracker.requested(now=0.0)
    tracker.sent(connection_time=3.0)
    tracker.on_final(final("partial"), covered_until=2.0, flagged=True, now=0.1)
    assert tracker.expire(now=0.2) == []
    assert marks(tracker.expire(now=0.35)) == [("partial", True)]

    tracker.requested(now=1.0)
    tracker.sent(connection_time=5.0)
    tracker.on_final(final("again"), covered_until=4.0, flagged=True, now=1.1)
    out = tracker.on_interim(Transcript("new words", is_final=False))
    assert [(t.text, t.is_final, t.from_finalize) for t in out] == [
        ("again", True, True),
        ("new words", False, False),
    ]


def test_an_endpoint_final_reaching_the_finalize_point_answers_it() -> None:
    tracker = FinalizeTracker(timeout=1.5, settle=0.25)
    tracker.requested(now=0.0)
    assert marks(tracker.on_final(final("early"), covered_until=2.0, flagged=False, now=0.0)) == [
        ("early", False)
    ]
    tracker.sent(connection_time=2.05)
    assert marks(tracker.on_final(final("all of it"), covered_until=2.05, flagged=False, now=0.1)) == [
        ("all of it", True)
    ]


def test_late_flagged_finals_are_passed_on_unmarked_and_empty_ones_dropped() -> None:
    tracker = FinalizeTracker(timeout=1.5, settle=0.25)
    flagged_late = Transcript("late", is_final=True, from_finalize=True)
    assert marks(tracker.on_final(flagged_late, covered_until=1.0, flagged=True, now=0.0)) == [
        ("late", False)
    ]
    assert tracker.on_final(final(""), covered_until=1.2, flagged=True, now=0.0) == []


def test_finalize_is_resent_after_a_reconnect_only_if_it_had_gone_out() -> None:
    tracker = FinalizeTracker(timeout=1.5, settle=0.25)
    assert tracker.reconnected(now=0.0) == ([], False)
    tracker.requested(now=0.0)
    assert tracker.reconnected(now=0.1) == ([], False), "still queued: it goes out after the replay anyway"
    tracker.sent(connection_time=1.0)
    assert tracker.reconnected(now=0.2) == ([], True)
    assert marks(tracker.expire(now=1.7)) == [("", True)], "the timeout restarted at the reconnect"


def test_a_held_answer_is_not_lost_on_a_reconnect() -> None:
    tracker = FinalizeTracker(timeout=1.5, settle=0.25)
    tracker.requested(now=0.0)
    tracker.sent(connection_time=3.0)
    tracker.on_final(final("first half"), covered_until=2.0, flagged=True, now=0.1)
    transcripts, resend = tracker.reconnected(now=0.2)
    assert (marks(transcripts), resend) == ([("first half", False)], True)


# --- Flux: finalize() and turns ------------------------------------------------------------------------------


def event(kind: str, text: str, window_end: float, turn: int = 0, probability: float = 0.1) -> TurnEvent:
    return TurnEvent(kind, turn, text, (), probability, window_end)


def test_flux_forces_then_gives_up_with_the_words_so_far() -> None:
    tracker = FluxTurnTracker(force_after=1.0, give_up_after=0.5)
    tracker.on_event(event("StartOfTurn", "Book", 0.5))
    tracker.on_event(event("Update", "Book a table", 1.0))
    assert tracker.requested(now=10.0, audio_until=1.3).transcripts == []
    assert tracker.expire(now=11.0).controls == [Control.FORCE_END_TURN]
    tracker.force_sent()
    out = tracker.expire(now=11.5)
    (ended,) = out.transcripts
    assert (ended.text, ended.is_final, ended.from_finalize, ended.turn_signal) == (
        "Book a table",
        True,
        True,
        TurnSignal.END_OF_TURN,
    )
    late = tracker.on_event(event("EndOfTurn", "Book a table for two", 2.0, probability=0.9))
    assert late.transcripts == [], "the turn was already ended here"
    assert late.commit_until == 2.0


def test_flux_speech_after_finalize_cancels_the_forced_end() -> None:
    tracker = FluxTurnTracker(force_after=1.0, give_up_after=0.5)
    tracker.on_event(event("StartOfTurn", "Book", 0.5))
    tracker.requested(now=10.0, audio_until=1.3)
    resumed = tracker.on_event(event("TurnResumed", "Book a", 1.6))
    assert resumed.transcripts[0].turn_signal is TurnSignal.TURN_RESUMED
    assert tracker.deadline is None, "never force the turn closed while the caller talks"
    (end,) = tracker.on_event(event("EndOfTurn", "Book a table", 2.5, probability=0.9)).transcripts
    assert (end.from_finalize, end.end_of_turn_probability) == (True, 0.9)


def test_flux_lagging_start_of_turn_keeps_the_force_deadline() -> None:
    tracker = FluxTurnTracker(force_after=1.0, give_up_after=0.5)
    assert tracker.requested(now=10.0, audio_until=1.3).transcripts == []  # Flux has not caught up yet
    tracker.on_event(event("StartOfTurn", "Book", 0.6))  # about audio before finalize()
    assert tracker.deadline == 11.0


# --- the replay ledger -----------------------------------------------------------------------------------------


def frame(start: float, seconds: float = 0.02) -> AudioFrame:
    return AudioFrame.silence(seconds, RATE, start)


def test_ledger_resends_uncommitted_audio_first_and_maps_times_to_media() -> None:
    ledger = AudioLedger(replay_max_seconds=10.0)
    for index in range(5):
        ledger.push(frame(10.0 + index * 0.02))
    ledger.push(Control.FINALIZE)
    sent = ledger.take(max_bytes=10_000)
    assert isinstance(sent, list) and len(sent) == 5
    assert ledger.take(max_bytes=10_000) is Control.FINALIZE
    assert ledger.timeline.to_media(0.05) == pytest.approx(10.05)
    ledger.commit_until(0.04)
    assert ledger.replay_seconds == pytest.approx(0.06)
    ledger.push(frame(10.1))
    ledger.rewind(after_replay=[Control.FINALIZE])
    replayed = ledger.take(max_bytes=10_000)
    assert isinstance(replayed, list)
    assert [f.timestamp for f in replayed] == pytest.approx([10.04, 10.06, 10.08])
    assert ledger.take(max_bytes=10_000) is Control.FINALIZE
    last = ledger.take(max_bytes=10_000)
    assert isinstance(last, list) and [f.timestamp for f in last] == pytest.approx([10.1])
    assert ledger.timeline.to_media(0.0) == pytest.approx(10.04)


def test_ledger_replay_is_bounded() -> None:
    ledger = AudioLedger(replay_max_seconds=0.1)
    for index in range(20):
        ledger.push(frame(index * 0.02))
    ledger.take(max_bytes=1_000_000)
    assert ledger.replay_seconds == pytest.approx(0.1)
