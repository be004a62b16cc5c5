"""Twilio Media Streams (bidirectional ``<Connect><Stream>``): the wire format, the TwiML answer and the
webhook signature check (``../shared/TELEPHONY.md`` section 1)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Connect, VoiceResponse

from pipeline.transports.telephony.messages import (
    DtmfReceived,
    Ignored,
    InboundMessage,
    MarkPlayed,
    MediaChunk,
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

PLATFORM = "twilio"


class _Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class _MediaFormat(_Wire):
    encoding: str
    sample_rate: int = Field(alias="sampleRate")


class _Start(_Wire):
    call_sid: str = Field(alias="callSid")
    stream_sid: str = Field(alias="streamSid")
    media_format: _MediaFormat = Field(alias="mediaFormat")
    custom_parameters: dict[str, str] = Field(default_factory=dict, alias="customParameters")


class _Media(_Wire):
    payload: str
    chunk: str | None = None
    track: str = "inbound"


class _Named(_Wire):
    name: str


class _Dtmf(_Wire):
    digit: str


class TwilioSerializer:
    """Twilio's JSON text frames. Outbound media, mark and clear carry the ``streamSid`` from ``start``."""

    platform = PLATFORM
    outbound_encoding = "mulaw"

    def __init__(self) -> None:
        self.stream_sid: str | None = None

    def parse(self, text: str | bytes) -> InboundMessage:
        event, data = load_event(PLATFORM, text)
        if event == "connected":
            return StreamConnected()
        if event == "start":
            start = read_model(PLATFORM, event, _Start, data.get("start"))
            self.stream_sid = start.stream_sid
            params = start.custom_parameters
            return StreamStarted(
                call_id=start.call_sid,
                stream_id=start.stream_sid,
                encoding=_encoding(start.media_format.encoding),
                sample_rate=start.media_format.sample_rate,
                custom_parameters=params,
                caller=params.get("from") or params.get("From"),
                callee=params.get("to") or params.get("To"),
            )
        if event == "media":
            media = read_model(PLATFORM, event, _Media, data.get("media"))
            if media.track not in ("inbound", "inbound_track"):
                return Ignored(event=f"media/{media.track}")
            return MediaChunk(payload=decode_payload(PLATFORM, media.payload), sequence=as_int(media.chunk))
        if event == "mark":
            return MarkPlayed(name=read_model(PLATFORM, event, _Named, data.get("mark")).name)
        if event == "dtmf":
            return DtmfReceived(digit=check_digit(read_model(PLATFORM, event, _Dtmf, data.get("dtmf")).digit))
        if event == "stop":
            return StreamStopped(reason="stop")
        raise TelephonyMessageError(f"{PLATFORM}: unknown event {event!r}")

    def _sid(self) -> str:
        if self.stream_sid is None:
            raise RuntimeError("twilio: no 'start' message yet, so there is no streamSid to send to")
        return self.stream_sid

    def media(self, payload: bytes) -> str:
        return dump(
            {"event": "media", "streamSid": self._sid(), "media": {"payload": encode_payload(payload)}}
        )

    def mark(self, name: str) -> str:
        return dump({"event": "mark", "streamSid": self._sid(), "mark": {"name": name}})

    def clear(self) -> str:
        return dump({"event": "clear", "streamSid": self._sid()})

    def dtmf(self, digits: str) -> str | None:
        """Twilio streams have no outbound DTMF message (use tones or the REST ``<Play digits>``)."""
        return None


def _encoding(name: str) -> str:
    if name in ("audio/x-mulaw", "audio/PCMU"):
        return "mulaw"
    raise TelephonyMessageError(f"{PLATFORM}: unsupported media encoding {name!r} (expected audio/x-mulaw)")


def twiml_answer(stream_url: str, parameters: Mapping[str, str] | None = None) -> str:
    """The TwiML that connects the call to our stream route; ``parameters`` reach ``start.customParameters``
    (Twilio drops a query string on the stream URL, so this is the only way to pass values)."""
    if not stream_url.startswith("wss://") and not stream_url.startswith("ws://"):
        raise ValueError(f"twilio stream url must be ws:// or wss://, got {stream_url!r}")
    connect = Connect()
    stream = connect.stream(url=stream_url)
    for name, value in (parameters or {}).items():
        stream.parameter(name=name, value=value)
    response = VoiceResponse()
    response.append(connect)
    return str(response)


def valid_twilio_signature(
    auth_token: str, url: str, params: Mapping[str, str], signature: str | None
) -> bool:
    """``X-Twilio-Signature`` check with the SDK's RequestValidator. A WebSocket upgrade is signed over the
    ``wss://`` URL with no params; its ``https://`` form is accepted too."""
    if not signature or not auth_token:
        return False
    validator = RequestValidator(auth_token)
    candidates = [url]
    if url.startswith("wss://"):
        candidates.append("https://" + url.removeprefix("wss://"))
    elif url.startswith("https://"):
        candidates.append("wss://" + url.removeprefix("https://"))
    return any(validator.validate(candidate, dict(params), signature) for candidate in candidates)
