"""Events of phone calls: keypresses in and out, answering-machine and beep detection, transfers. Same style as
``pipeline.observe.events`` (frozen pydantic models, ``model_dump_json()``; ``parse_event`` reads them back)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from pipeline.observe.events import Event, register_event_type


class DtmfReceived(Event):
    """The caller pressed a key: reported by the platform (``platform``) or heard in the audio (``inband``)."""

    type: Literal["dtmf"] = "dtmf"
    digit: str
    source: Literal["platform", "inband"]


class DtmfSent(Event):
    """Digits were sent to the far end: as the platform's stream message, its REST call, or generated tones."""

    type: Literal["dtmf_sent"] = "dtmf_sent"
    digits: str
    method: Literal["stream", "rest", "tones"]


class DigitsCollected(Event):
    """The digit-collection policy closed a keypad entry (terminator, timeout or length) and gave it to the LLM."""

    type: Literal["digits_collected"] = "digits_collected"
    digits: str
    ended_by: Literal["terminator", "timeout", "max_digits"]


class AmdEvidenceModel(BaseModel):
    """What an answering-machine decision rests on (seconds, words, and the rule that fired)."""

    model_config = ConfigDict(frozen=True)

    initial_silence: float | None = None
    greeting: float | None = None
    words: int | None = None
    trailing_silence: float | None = None
    rule: str
    platform_value: str | None = None  # e.g. Twilio's AnsweredBy


class VoicemailDetected(Event):
    """Who answered an outbound call: human, machine or unknown, from the audio or the platform's own AMD."""

    type: Literal["voicemail_detected"] = "voicemail_detected"
    answered_by: Literal["human", "machine", "unknown"]
    source: Literal["audio", "platform"]
    decided_after: float  # seconds of callee audio analysed (0 for a platform result)
    evidence: AmdEvidenceModel


class VoicemailBeep(Event):
    """The voicemail's beep: a sustained tone; the message can be left now."""

    type: Literal["voicemail_beep"] = "voicemail_beep"
    frequency: float
    tone_started: float  # media seconds of callee audio
    detected_after: float  # seconds from the tone's start to the detection


class TransferStarted(Event):
    """The platform was asked to connect the caller to ``targets`` (several: a hunt list)."""

    type: Literal["transfer_started"] = "transfer_started"
    targets: tuple[str, ...]
    mode: Literal["cold", "warm"]
    hunt: Literal["sequential", "parallel"]
    platform: str


class TransferFailed(Event):
    """The transfer could not be started; the call goes on with the agent."""

    type: Literal["transfer_failed"] = "transfer_failed"
    targets: tuple[str, ...]
    platform: str
    reason: str


for _cls in (
    DtmfReceived,
    DtmfSent,
    DigitsCollected,
    VoicemailDetected,
    VoicemailBeep,
    TransferStarted,
    TransferFailed,
):
    register_event_type(_cls)
