"""Answering-machine and beep detection on the callee's audio, and the voicemail policy: when a machine answered,
wait for the beep, then leave the configured message and hang up. A platform's own AMD result (Twilio
``AnsweredBy``) is accepted as a signal too."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from pipeline.base.audio import AudioFrame
from pipeline.base.phone.amd import (
    AmdDecision,
    AmdSettings,
    AnsweredBy,
    MachineDetector,
    answered_by_from_twilio,
)
from pipeline.base.phone.beep import Beep, BeepDetector
from pipeline.observe.bus import EventBus
from pipeline.observe.phone_events import AmdEvidenceModel, VoicemailBeep, VoicemailDetected


class VoicemailHost(Protocol):
    def end_call(self, reason: str, goodbye: str | None) -> None: ...


@dataclass(frozen=True)
class VoicemailPolicy:
    """What to do on a machine: leave ``message`` after the beep (None: just report), then hang up.
    ``beep_timeout`` seconds after the machine decision without a beep, the message is left anyway."""

    message: str | None = None
    beep_timeout: float = 20.0
    amd: AmdSettings = field(default_factory=AmdSettings)


class _Stage(Enum):
    """detecting (who answered?) -> awaiting_beep (machine) -> done; or detecting -> done (human/unknown)."""

    DETECTING = "detecting"
    AWAITING_BEEP = "awaiting_beep"
    DONE = "done"


class VoicemailDetection:
    """Feeds on the callee's audio while active; emits ``voicemail_detected`` then ``voicemail_beep``."""

    def __init__(self, policy: VoicemailPolicy, bus: EventBus, host: VoicemailHost) -> None:
        self.policy = policy
        self._bus = bus
        self._host = host
        self._stage = _Stage.DETECTING
        self._amd: MachineDetector | None = None
        self._beeps: BeepDetector | None = None
        self._audio_seconds = 0.0
        self._machine_at = 0.0

    @property
    def active(self) -> bool:
        return self._stage is not _Stage.DONE

    def hear(self, frame: AudioFrame) -> None:
        if self._stage is _Stage.DONE:
            return
        samples = frame.to_int16()
        if self._amd is None or self._beeps is None:
            self._amd = MachineDetector(self.policy.amd, sample_rate=frame.sample_rate)
            self._beeps = BeepDetector(frame.sample_rate)
        self._audio_seconds += frame.duration
        if self._stage is _Stage.DETECTING:
            decision = self._amd.push_audio(samples)
            if decision is not None:
                self._decided(decision)
        beeps = list(self._beeps.push(samples))  # a beep can come before the decision (a short greeting)
        if self._stage is _Stage.AWAITING_BEEP:
            if beeps:
                self._beep(beeps[0])
            elif self._audio_seconds - self._machine_at >= self.policy.beep_timeout:
                self._leave_message()

    def _decided(self, decision: AmdDecision) -> None:
        evidence = decision.evidence
        self._bus.emit(
            VoicemailDetected,
            answered_by=decision.answered_by.value,
            source="audio",
            decided_after=decision.decided_at,
            evidence=AmdEvidenceModel(
                initial_silence=evidence.initial_silence,
                greeting=evidence.greeting,
                words=evidence.words,
                trailing_silence=evidence.trailing_silence,
                rule=evidence.rule,
            ),
        )
        self._after(decision.answered_by)

    def _after(self, answered_by: AnsweredBy) -> None:
        if answered_by is AnsweredBy.MACHINE:
            self._stage, self._machine_at = _Stage.AWAITING_BEEP, self._audio_seconds
        else:
            self._stage = _Stage.DONE

    def platform_result(self, value: str) -> None:
        """The platform's own AMD (Twilio ``AnsweredBy``): reported, and acted on if we had not decided yet."""
        answered_by = answered_by_from_twilio(value)
        self._bus.emit(
            VoicemailDetected,
            answered_by=answered_by.value,
            source="platform",
            decided_after=0.0,
            evidence=AmdEvidenceModel(rule="platform", platform_value=value),
        )
        if self._stage is not _Stage.DETECTING:
            return
        self._after(answered_by)
        if value == "machine_end_beep":  # the platform already waited for the beep
            self._leave_message()

    def _beep(self, beep: Beep) -> None:
        self._bus.emit(
            VoicemailBeep,
            frequency=beep.frequency,
            tone_started=round(beep.started_at, 3),
            detected_after=round(beep.detected_at - beep.started_at, 3),
        )
        self._leave_message()

    def _leave_message(self) -> None:
        self._stage = _Stage.DONE
        if self.policy.message:
            self._host.end_call("voicemail", self.policy.message)
