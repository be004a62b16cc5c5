"""Plivo Audio Streams (``<Stream bidirectional="true">``): the wire format, the XML answer and the V3 webhook
signature check (``../shared/TELEPHONY.md`` section 2)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from plivo.utils.signature_v3 import validate_v3_signature
from plivo.xml import ResponseElement, StreamElement
from pydantic import BaseModel, ConfigDict, Field

from pipeline.transports.telephony.messages import (
    AudioCleared,
    DtmfReceived,
    Ignored,
    InboundMessage,
    MarkPlayed,
    MediaChunk,
    PlatformError,
    StreamStarted,
    StreamStopped,
    TelephonyMessageError,
    check_digit,
)
from pipeline.transports.telephony.wire import decode_payload, dump, encode_payload, load_event, read_model

PLATFORM = "plivo"
CONTENT_TYPE = "audio/x-mulaw;rate=8000"
_HEADER_VALUE = re.compile(r"^[A-Za-z0-9+_.-]*$")


class _Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class _MediaFormat(_Wire):
    encoding: str
    sample_rate: int = Field(alias="sampleRate")


class _Start(_Wire):
    call_id: str = Field(alias="callId")
    stream_id: str = Field(alias="streamId")
    media_format: _MediaFormat = Field(alias="mediaFormat")


class _Media(_Wire):
    payload: str
    chunk: int | None = None
    track: str = "inbound"


class _Dtmf(_Wire):
    digit: str


class PlivoSerializer:
    """Plivo's JSON text frames (no ``connected``; ``playedStream`` acks checkpoints; ``sendDTMF`` exists)."""

    platform = PLATFORM
    outbound_encoding = "mulaw"

    def __init__(self) -> None:
        self.stream_id: str | None = None

    def parse(self, text: str | bytes) -> InboundMessage:
        event, data = load_event(PLATFORM, text)
        if event == "start":
            start = read_model(PLATFORM, event, _Start, data.get("start"))
            self.stream_id = start.stream_id
            headers = parse_extra_headers(data.get("extra_headers"))
            return StreamStarted(
                call_id=start.call_id,
                stream_id=start.stream_id,
                encoding=_encoding(start.media_format.encoding),
                sample_rate=start.media_format.sample_rate,
                custom_parameters=headers,
                caller=headers.get("from"),
                callee=headers.get("to"),
            )
        if event == "media":
            media = read_model(PLATFORM, event, _Media, data.get("media"))
            return MediaChunk(payload=decode_payload(PLATFORM, media.payload), sequence=media.chunk)
        if event == "dtmf":
            return DtmfReceived(digit=check_digit(read_model(PLATFORM, event, _Dtmf, data.get("dtmf")).digit))
        if event == "playedStream":
            name = data.get("name")
            if not isinstance(name, str):
                raise TelephonyMessageError(f"{PLATFORM}: 'playedStream' without a name")
            return MarkPlayed(name=name)
        if event == "clearedAudio":
            return AudioCleared()
        if event == "stop":
            return StreamStopped(reason="stop")
        if event in ("playFailed", "error"):
            return PlatformError(code=event, detail=str(data.get("reason", "")))
        if event in ("muteStream", "unmuteStream"):
            return Ignored(event=event)
        raise TelephonyMessageError(f"{PLATFORM}: unknown event {event!r}")

    def _id(self) -> str:
        if self.stream_id is None:
            raise RuntimeError("plivo: no 'start' message yet, so there is no streamId to send to")
        return self.stream_id

    def media(self, payload: bytes) -> str:
        media = {"contentType": "audio/x-mulaw", "sampleRate": 8000, "payload": encode_payload(payload)}
        return dump({"event": "playAudio", "media": media})

    def mark(self, name: str) -> str:
        return dump({"event": "checkpoint", "streamId": self._id(), "name": name})

    def clear(self) -> str:
        return dump({"event": "clearAudio", "streamId": self._id()})

    def dtmf(self, digits: str) -> str | None:
        for digit in digits:
            check_digit(digit)
        return dump({"event": "sendDTMF", "dtmf": digits})


def _encoding(name: str) -> str:
    if name in ("audio/x-mulaw", "mulaw"):
        return "mulaw"
    raise TelephonyMessageError(
        f"{PLATFORM}: unsupported media encoding {name!r} (we answer with {CONTENT_TYPE})"
    )


def parse_extra_headers(value: object) -> dict[str, str]:
    """``extra_headers`` is ``k=v`` pairs separated by ``,`` or ``;`` (the docs disagree; both are read)."""
    if not isinstance(value, str) or not value:
        return {}
    pairs = (item.split("=", 1) for item in re.split(r"[;,]", value) if "=" in item)
    return {key.strip(): val.strip() for key, val in pairs}


def plivo_answer(stream_url: str, parameters: Mapping[str, str] | None = None) -> str:
    """The Plivo XML answer: a bidirectional μ-law 8 kHz stream that keeps the call alive while it runs.
    ``parameters`` travel as ``extraHeaders`` (letters, digits and ``+_.-`` only, ≤ 512 bytes)."""
    if not stream_url.startswith(("wss://", "ws://")):
        raise ValueError(f"plivo stream url must be ws:// or wss://, got {stream_url!r}")
    headers = ""
    if parameters:
        for key, value in parameters.items():
            if not _HEADER_VALUE.match(key) or not _HEADER_VALUE.match(value):
                raise ValueError(f"plivo extraHeaders allow only letters, digits and +_.- ({key}={value!r})")
        headers = ",".join(f"{key}={value}" for key, value in parameters.items())
        if len(headers) > 512:
            raise ValueError("plivo extraHeaders are limited to 512 bytes")
    response = ResponseElement()
    response.add(
        StreamElement(
            stream_url,
            bidirectional=True,
            keepCallAlive=True,
            contentType=CONTENT_TYPE,
            extraHeaders=headers or None,
        )
    )
    text: str = response.to_string(False)
    return text


def valid_plivo_signature(
    auth_token: str,
    method: str,
    url: str,
    params: Mapping[str, str],
    nonce: str | None,
    signature: str | None,
) -> bool:
    """``X-Plivo-Signature-V3`` (a comma-separated list) over the URL, params and nonce, with the SDK."""
    if not (auth_token and nonce and signature):
        return False
    try:
        return bool(validate_v3_signature(method.upper(), url, nonce, auth_token, signature, dict(params)))
    except Exception:  # the SDK's argument validators raise on malformed input: that is a bad signature
        return False
