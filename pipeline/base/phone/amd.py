"""Answering-machine detection over the first seconds of the callee's audio.

People answer with a short "Hello?" and then wait for the caller; a voicemail greeting talks on ("Hi, you've
reached ... please leave a message"). The classifier watches speech activity frame by frame (an energy gate
with a noise floor, or any VAD's decisions) and decides, as the classic rules (Asterisk's AMD) do:

- a greeting of ``machine_greeting`` seconds of speech, or ``machine_words`` or more words, before a pause of
  ``after_greeting_silence`` → MACHINE;
- a shorter greeting followed by that pause → HUMAN;
- ``initial_silence`` with no speech at all, or ``max_analysis`` without a decision → UNKNOWN.

The decision carries its evidence (what was measured), and the media time it was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

import numpy as np

FRAME_SECONDS = 0.02


class AnsweredBy(StrEnum):
    """Who picked up: a person, a machine (voicemail), or no way to tell."""

    HUMAN = "human"
    MACHINE = "machine"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class AmdSettings:
    """The thresholds of the rules (seconds, words)."""

    initial_silence: float = 2.5
    machine_greeting: float = 1.5
    after_greeting_silence: float = 0.8
    machine_words: int = 4
    min_word: float = 0.1
    between_words_silence: float = 0.1
    max_analysis: float = 5.0


@dataclass(frozen=True)
class AmdEvidence:
    """What the decision rests on."""

    initial_silence: float  # seconds before the first speech
    greeting: float  # seconds of speech in the greeting so far
    words: int  # speech bursts of at least ``min_word`` separated by ``between_words_silence``
    trailing_silence: float  # silence after the last speech when deciding
    rule: str  # which rule decided: long_greeting, many_words, short_greeting, initial_silence, timeout


@dataclass(frozen=True)
class AmdDecision:
    answered_by: AnsweredBy
    decided_at: float  # media seconds since the analysis started
    evidence: AmdEvidence


class _Phase(Enum):
    """waiting (no speech yet) -> greeting -> decided."""

    WAITING = "waiting"
    GREETING = "greeting"
    DECIDED = "decided"


class EnergyGate:
    """Speech/not-speech per frame from the level relative to a tracked noise floor (phone lines carry some
    noise; a fixed threshold would fail on a loud line)."""

    def __init__(self, *, margin_db: float = 12.0, min_level: float = 150.0) -> None:
        self._floor = min_level / 4
        self._margin = 10 ** (margin_db / 20)
        self._min_level = min_level

    def is_speech(self, samples: np.ndarray) -> bool:
        level = float(np.sqrt(np.mean(np.asarray(samples, dtype=np.float64) ** 2))) if len(samples) else 0.0
        speech = level > max(self._min_level, self._floor * self._margin)
        if not speech:  # follow the noise quickly down, slowly up
            rate = 0.3 if level < self._floor else 0.05
            self._floor += (level - self._floor) * rate
        return speech


class MachineDetector:
    """Frame-by-frame classifier; ``push_activity`` with VAD decisions or ``push_audio`` with PCM16 samples."""

    def __init__(self, settings: AmdSettings | None = None, *, sample_rate: int = 8000) -> None:
        self.settings = settings or AmdSettings()
        self.sample_rate = sample_rate
        self._gate = EnergyGate()
        self._pending = np.zeros(0)
        self._phase = _Phase.WAITING
        self._time = 0.0
        self._initial_silence = 0.0
        self._greeting = 0.0
        self._words = 0
        self._burst = 0.0  # speech in the current burst
        self._silence = 0.0  # silence since the last speech
        self.decision: AmdDecision | None = None

    def push_audio(self, samples: np.ndarray) -> AmdDecision | None:
        """Feed PCM16 audio; returns the decision once it is made (and on every later call)."""
        self._pending = np.concatenate([self._pending, np.asarray(samples, dtype=np.float64)])
        frame = round(FRAME_SECONDS * self.sample_rate)
        while len(self._pending) >= frame and self.decision is None:
            chunk, self._pending = self._pending[:frame], self._pending[frame:]
            self.push_activity(self._gate.is_speech(chunk), FRAME_SECONDS)
        return self.decision

    def push_activity(self, speech: bool, seconds: float) -> AmdDecision | None:
        if self._phase is _Phase.DECIDED:
            return self.decision
        self._time += seconds
        rules = self.settings
        if speech:
            self._phase = _Phase.GREETING
            self._burst += seconds
            self._greeting += seconds
            self._silence = 0.0
            if abs(self._burst - rules.min_word) < seconds / 2:
                self._words += 1
        else:
            if self._phase is _Phase.WAITING:
                self._initial_silence += seconds
            self._silence += seconds
            if self._silence >= rules.between_words_silence:
                self._burst = 0.0
        return self._decide()

    def _decide(self) -> AmdDecision | None:
        rules = self.settings
        if self._phase is _Phase.WAITING:
            if self._initial_silence >= rules.initial_silence:
                return self._conclude(AnsweredBy.UNKNOWN, "initial_silence")
        elif self._greeting >= rules.machine_greeting:
            return self._conclude(AnsweredBy.MACHINE, "long_greeting")
        elif self._words >= rules.machine_words:
            return self._conclude(AnsweredBy.MACHINE, "many_words")
        elif self._silence >= rules.after_greeting_silence:
            return self._conclude(AnsweredBy.HUMAN, "short_greeting")
        if self._time >= rules.max_analysis:
            return self._conclude(AnsweredBy.UNKNOWN, "timeout")
        return None

    def _conclude(self, answered_by: AnsweredBy, rule: str) -> AmdDecision:
        evidence = AmdEvidence(
            initial_silence=round(self._initial_silence, 3),
            greeting=round(self._greeting, 3),
            words=self._words,
            trailing_silence=round(self._silence, 3),
            rule=rule,
        )
        self._phase = _Phase.DECIDED
        self.decision = AmdDecision(answered_by, round(self._time, 3), evidence)
        return self.decision


def answered_by_from_twilio(value: str) -> AnsweredBy:
    """Twilio's ``AnsweredBy`` (also TeXML's) as our three classes."""
    if value == "human":
        return AnsweredBy.HUMAN
    if value.startswith("machine") or value == "fax":
        return AnsweredBy.MACHINE
    return AnsweredBy.UNKNOWN
