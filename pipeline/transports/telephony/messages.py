"""Platform-neutral messages of a telephony media stream (Twilio, Plivo, Telnyx), as the serializers parse them.

Each platform's wire format is read by its own serializer into one of these; the telephony transport only ever
sees these types, so a new platform is one new serializer.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

DTMF_DIGITS = frozenset("0123456789*#ABCD")


class TelephonyMessageError(ValueError):
    """A message from the platform that cannot be used (bad JSON, missing field, bad base64...). The call goes
    on; the transport reports the error as an event and skips the message."""


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True)


class StreamConnected(_Message):
    """The WebSocket is up (Twilio, Telnyx); nothing about the call yet."""


class StreamStarted(_Message):
    """The call's metadata: ids, the audio format, and the custom parameters given in the answer document."""

    call_id: str  # Twilio callSid, Plivo callId, Telnyx call_control_id
    stream_id: str  # Twilio streamSid, Plivo streamId, Telnyx stream_id
    encoding: str  # "mulaw" or "alaw" (or "l16" for Plivo's linear PCM)
    sample_rate: int = 8000
    custom_parameters: dict[str, str] = Field(default_factory=dict)
    caller: str | None = None  # the caller's number, where the platform says it
    callee: str | None = None


class MediaChunk(_Message):
    """Caller audio: the raw codec payload (base64 decoded)."""

    payload: bytes
    sequence: int | None = None  # chunk/sequence number where the platform gives one (reordering)


class DtmfReceived(_Message):
    """A keypress reported out-of-band by the platform."""

    digit: str


class MarkPlayed(_Message):
    """A playback mark came back: the audio sent before it has been played (or cleared, after a clear)."""

    name: str


class AudioCleared(_Message):
    """The platform confirms a clear (Plivo ``clearedAudio``)."""


class StreamStopped(_Message):
    """The caller hung up or the stream ended."""

    reason: str = "stop"


class PlatformError(_Message):
    """The platform reports an error on the stream (Telnyx ``error``, Plivo ``playFailed``/``error``)."""

    code: str
    detail: str


class Ignored(_Message):
    """A known message the transport has no use for."""

    event: str


InboundMessage = (
    StreamConnected
    | StreamStarted
    | MediaChunk
    | DtmfReceived
    | MarkPlayed
    | AudioCleared
    | StreamStopped
    | PlatformError
    | Ignored
)


class MediaStreamSerializer(Protocol):
    """One platform's wire format: text frames in, typed messages out; outbound messages as text frames."""

    platform: str
    #: codec of outbound audio, fixed by the answer document ("mulaw" for all three as we answer)
    outbound_encoding: str

    def parse(self, text: str | bytes) -> InboundMessage: ...

    def media(self, payload: bytes) -> str: ...

    def mark(self, name: str) -> str: ...

    def clear(self) -> str: ...

    def dtmf(self, digits: str) -> str | None:
        """The platform's message that plays DTMF digits to the caller, or None where there is none."""
        ...


def check_digit(digit: str) -> str:
    if digit not in DTMF_DIGITS:
        raise TelephonyMessageError(f"not a DTMF digit: {digit!r} (expected one of 0-9 * # A-D)")
    return digit
