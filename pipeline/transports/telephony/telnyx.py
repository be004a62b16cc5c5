"""Telnyx media streaming (bidirectional RTP mode): the wire format, the TeXML answer and the Ed25519 webhook
signature check (``../shared/TELEPHONY.md`` section 3). Inbound audio may be PCMU or PCMA, whatever the PSTN
leg uses; outbound is what the answer asked for (PCMU)."""

from __future__ import annotations

from collections.abc import Mapping
from xml.sax.saxutils import quoteattr

from pydantic import BaseModel, ConfigDict, Field
from telnyx.lib.webhook_verification import WebhookVerificationError, verify_webhook_signature

from pipeline.transports.telephony.messages import (
    DtmfReceived,
    Ignored,
    InboundMessage,
    MarkPlayed,
    MediaChunk,
    PlatformError,
    StreamConnected,
    StreamStarted,
    StreamStopped,
    TelephonyMessageError,
    check_digit,
)
from pipeline.transports.telephony.wire import (
    as_int,
    decode_payload,
    dump,
    encode_payload,
    load_event,
    read_model,
)

PLATFORM = "telnyx"


class _Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class _MediaFormat(_Wire):
    encoding: str
    sample_rate: int = 8000


class _Start(_Wire):
    call_control_id: str
    caller: str | None = Field(default=None, alias="from")
    callee: str | None = Field(default=None, alias="to")
    custom_parameters: dict[str, str] = Field(default_factory=dict)
    media_format: _MediaFormat


class _Media(_Wire):
    payload: str
    chunk: str | None = None
    track: str = "inbound"


class _Named(_Wire):
    name: str


class _Dtmf(_Wire):
    digit: str


class _Error(_Wire):
    code: int | str = "unknown"
    title: str = ""
    detail: str = ""


class TelnyxSerializer:
    """Telnyx's snake_case JSON text frames. Outbound messages need no stream id."""

    platform = PLATFORM
    outbound_encoding = "mulaw"

    def __init__(self) -> None:
        self.stream_id: str | None = None

    def parse(self, text: str | bytes) -> InboundMessage:
        event, data = load_event(PLATFORM, text)
        if event == "connected":
            return StreamConnected()
        if event == "start":
            start = read_model(PLATFORM, event, _Start, data.get("start"))
            stream_id = data.get("stream_id")
            if not isinstance(stream_id, str):
                raise TelephonyMessageError(f"{PLATFORM}: 'start' without a stream_id")
            self.stream_id = stream_id
            return StreamStarted(
                call_id=start.call_control_id,
                stream_id=stream_id,
                encoding=_encoding(start.media_format.encoding),
                sample_rate=start.media_format.sample_rate,
                custom_parameters=start.custom_parameters,
                caller=start.caller,
                callee=start.callee,
            )
        if event == "media":
            media = read_model(PLATFORM, event, _Media, data.get("media"))
            if media.track not in ("inbound", "inbound_track"):
                return Ignored(event=f"media/{media.track}")
            sequence = as_int(media.chunk) or as_int(data.get("sequence_number"))
            return MediaChunk(payload=decode_payload(PLATFORM, media.payload), sequence=sequence)
        if event == "mark":
            return MarkPlayed(name=read_model(PLATFORM, event, _Named, data.get("mark")).name)
        if event == "dtmf":
            return DtmfReceived(digit=check_digit(read_model(PLATFORM, event, _Dtmf, data.get("dtmf")).digit))
        if event == "stop":
            return StreamStopped(reason="stop")
        if event == "error":
            error = read_model(PLATFORM, event, _Error, data.get("payload") or {})
            return PlatformError(code=str(error.code), detail=f"{error.title}: {error.detail}".strip(": "))
        raise TelephonyMessageError(f"{PLATFORM}: unknown event {event!r}")

    def media(self, payload: bytes) -> str:
        return dump({"event": "media", "media": {"payload": encode_payload(payload)}})

    def mark(self, name: str) -> str:
        return dump({"event": "mark", "mark": {"name": name}})

    def clear(self) -> str:
        return dump({"event": "clear"})

    def dtmf(self, digits: str) -> str | None:
        """No DTMF message on the stream (Telnyx sends DTMF through ``actions.send_dtmf``)."""
        return None


def _encoding(name: str) -> str:
    lowered = name.lower()
    if lowered in ("pcmu", "audio/x-mulaw"):
        return "mulaw"
    if lowered in ("pcma", "audio/x-alaw"):
        return "alaw"
    raise TelephonyMessageError(f"{PLATFORM}: unsupported media encoding {name!r} (PCMU or PCMA)")


def texml_answer(stream_url: str, parameters: Mapping[str, str] | None = None) -> str:
    """TeXML connecting the call to our stream route in bidirectional RTP mode with PCMU (without
    ``bidirectionalMode="rtp"`` Telnyx treats our audio as MP3)."""
    if not stream_url.startswith(("wss://", "ws://")):
        raise ValueError(f"telnyx stream url must be ws:// or wss://, got {stream_url!r}")
    params = "".join(
        f"<Parameter name={quoteattr(key)} value={quoteattr(value)}/>"
        for key, value in (parameters or {}).items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>'
        f'<Stream url={quoteattr(stream_url)} bidirectionalMode="rtp" bidirectionalCodec="PCMU">{params}</Stream>'
        "</Connect></Response>"
    )


def valid_telnyx_signature(public_key: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """``telnyx-signature-ed25519`` over ``"{telnyx-timestamp}|{body}"`` with the SDK (300 s tolerance)."""
    if not public_key:
        return False
    try:
        verify_webhook_signature(body, headers, public_key)
    except WebhookVerificationError:
        return False
    return True
