"""Turning Deepgram's answer to ``Finalize`` into exactly one ``Transcript(from_finalize=True)``, last.

The pipeline's turn detector takes the utterance as complete when it sees the final marked ``from_finalize``, so
that mark must go on the *last* final of the answer. Deepgram may answer with several finals, may flag more than
one ``from_finalize``, or (when little audio was buffered) may not answer at all. The rule here:

* A final whose span reaches the audio sent before ``Finalize`` (its ``start + duration``) completes the answer:
  it is marked ``from_finalize`` and passed on at once, flagged by Deepgram or not.
* A flagged final that does not reach it is held for ``settle`` seconds: a further final passes the held one on
  unmarked and is held instead; an interim (new speech) or the end of the wait passes the held one on, marked.
* No answer within ``timeout``: an empty final marked ``from_finalize`` (the contract allows empty text).
* Flagged finals outside a finalize (late duplicates) go on unmarked; empty ones are dropped.
"""

from __future__ import annotations

import dataclasses
from enum import Enum

from providers.stt import Transcript

COVERAGE_TOLERANCE = 0.1  # seconds: rounding in Deepgram's start/duration


class FinalizePhase(Enum):
    IDLE = "idle"  # no Finalize outstanding
    AWAITING = "awaiting"  # Finalize requested (``target`` known once it is sent); no answer yet
    SETTLING = "settling"  # a flagged final is held; waiting briefly for more finals


class FinalizeTracker:
    def __init__(self, *, timeout: float, settle: float) -> None:
        self.timeout = timeout
        self.settle = settle
        self.phase = FinalizePhase.IDLE
        self._target: float | None = None  # connection seconds sent before the Finalize
        self._timeout_at = 0.0
        self._settle_at = 0.0
        self._held: Transcript | None = None

    @property
    def deadline(self) -> float | None:
        match self.phase:
            case FinalizePhase.AWAITING:
                return self._timeout_at
            case FinalizePhase.SETTLING:
                return self._settle_at
            case FinalizePhase.IDLE:
                return None

    def requested(self, now: float) -> list[Transcript]:
        """``finalize()`` was called (a ``Finalize`` is queued). A held answer of an earlier one goes on
        unmarked: this new request's answer will be the marked one."""
        out = self._release_held(marked=False)
        self.phase = FinalizePhase.AWAITING
        self._target = None
        self._timeout_at = now + self.timeout
        return out

    def sent(self, connection_time: float) -> None:
        if self.phase is not FinalizePhase.IDLE:
            self._target = connection_time

    def reconnected(self, now: float) -> tuple[list[Transcript], bool]:
        """A new socket: the transcripts to pass on (a held answer, unmarked), and whether a ``Finalize`` must
        be sent again after the replayed audio. One still queued (not sent before the drop) goes out after the
        replay anyway; it needs no copy."""
        if self.phase is FinalizePhase.IDLE:
            return [], False
        was_sent = self._target is not None
        return self.requested(now), was_sent

    def on_final(
        self, transcript: Transcript, *, covered_until: float, flagged: bool, now: float
    ) -> list[Transcript]:
        plain = _unmarked(transcript)
        match self.phase:
            case FinalizePhase.IDLE:
                return [plain] if plain.text else []
            case FinalizePhase.AWAITING:
                if self._reaches_target(covered_until):
                    return self._complete(transcript)
                if flagged:
                    self._hold(plain, now)
                    return []
                return [plain] if plain.text else []
            case FinalizePhase.SETTLING:
                out = self._release_held(marked=False)
                if self._reaches_target(covered_until):
                    return out + self._complete(transcript)
                self._hold(plain, now)
                return out

    def on_interim(self, transcript: Transcript) -> list[Transcript]:
        out = self._release_held(marked=True) if self.phase is FinalizePhase.SETTLING else []
        if transcript.text:
            out.append(transcript)
        return out

    def expire(self, now: float) -> list[Transcript]:
        deadline = self.deadline
        if deadline is None or now < deadline:
            return []
        if self.phase is FinalizePhase.SETTLING:
            return self._release_held(marked=True)
        self.phase = FinalizePhase.IDLE
        return [Transcript("", is_final=True, from_finalize=True)]

    def _reaches_target(self, covered_until: float) -> bool:
        return self._target is not None and covered_until >= self._target - COVERAGE_TOLERANCE

    def _complete(self, transcript: Transcript) -> list[Transcript]:
        self.phase = FinalizePhase.IDLE
        self._held = None
        return [dataclasses.replace(transcript, from_finalize=True)]

    def _hold(self, transcript: Transcript, now: float) -> None:
        self.phase = FinalizePhase.SETTLING
        self._held = transcript
        self._settle_at = now + self.settle

    def _release_held(self, *, marked: bool) -> list[Transcript]:
        held, self._held = self._held, None
        if self.phase is FinalizePhase.SETTLING:
            self.phase = FinalizePhase.IDLE
        if held is None:
            return []
        if marked:
            return [dataclasses.replace(held, from_finalize=True)]
        return [held] if held.text else []


def _unmarked(transcript: Transcript) -> Transcript:
    return dataclasses.replace(transcript, from_finalize=False) if transcript.from_finalize else transcript
