"""The multi-context websocket's messages: what the client sends (snake_case) and what the server answers
(camelCase), parsed into small typed events."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from providers.elevenlabs.alignment import AlignmentError, spoken_characters, websocket_alignment
from providers.tts import Alignment


class MalformedMessage(ValueError):
    """A server frame that is not valid JSON or whose known fields have the wrong shape."""


@dataclass(frozen=True, slots=True)
class AudioMessage:
    context_id: str | None
    pcm: bytes
    alignment: Alignment | None
    # Non-space characters of the *original* text this audio speaks; None when only the normalized alignment
    # came (its characters need not match the text sent, so they cannot be counted against it).
    spoken: int | None


@dataclass(frozen=True, slots=True)
class FinalMessage:
    context_id: str | None


@dataclass(frozen=True, slots=True)
class ErrorMessage:
    error: str
    message: str


ServerEvent = AudioMessage | FinalMessage | ErrorMessage


def multi_stream_url(ws_root: str, voice_id: str, query: Mapping[str, str]) -> str:
    path = f"/v1/text-to-speech/{quote(voice_id, safe='')}/multi-stream-input"
    return f"{ws_root}{path}?{urlencode(dict(query))}"


def parse_server_message(data: str | bytes) -> list[ServerEvent]:
    """Events in one frame, in order (an audio message may also be the context's last). Unknown JSON objects
    give no events (forward compatibility); broken JSON or broken known fields raise ``MalformedMessage``."""
    if isinstance(data, bytes):
        return []  # the service only sends text frames
    try:
        message = json.loads(data)
    except ValueError as exc:
        raise MalformedMessage("a frame is not valid JSON") from exc
    if not isinstance(message, dict):
        raise MalformedMessage("a frame is not a JSON object")
    context_id = message.get("contextId")
    if context_id is not None and not isinstance(context_id, str):
        raise MalformedMessage("contextId is not a string")
    events: list[ServerEvent] = []
    if "error" in message and "audio" not in message:
        events.append(ErrorMessage(str(message.get("error")), str(message.get("message") or "")))
        return events
    if message.get("audio"):
        events.append(_audio(message, context_id))
    if message.get("isFinal") is True:
        events.append(FinalMessage(context_id))
    return events


def _audio(message: Mapping[str, Any], context_id: str | None) -> AudioMessage:
    audio = message["audio"]
    if not isinstance(audio, str):
        raise MalformedMessage("audio is not a base64 string")
    try:
        pcm = base64.b64decode(audio, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedMessage("audio is not valid base64") from exc
    original = message.get("alignment")
    try:
        if original:
            alignment = websocket_alignment(original)
            return AudioMessage(context_id, pcm, alignment, spoken_characters(alignment))
        normalized = websocket_alignment(message.get("normalizedAlignment"))
    except AlignmentError as exc:
        raise MalformedMessage(str(exc)) from exc
    return AudioMessage(context_id, pcm, normalized, None)


def _dump(message: Mapping[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def init_context(
    context_id: str, voice_settings: Mapping[str, float | bool], schedule: Sequence[int] | None
) -> str:
    """A context's first message: a single space opens it with its settings."""
    message: dict[str, Any] = {"text": " ", "context_id": context_id}
    if voice_settings:
        message["voice_settings"] = dict(voice_settings)
    if schedule:
        message["generation_config"] = {"chunk_length_schedule": list(schedule)}
    return _dump(message)


def send_text(context_id: str, text: str) -> str:
    return _dump({"text": text, "context_id": context_id})


def keepalive(context_id: str) -> str:
    """Resets the service's inactivity timer; a lone space is never spoken."""
    return _dump({"text": " ", "context_id": context_id})


def flush(context_id: str) -> str:
    return _dump({"context_id": context_id, "flush": True})


def close_context(context_id: str) -> str:
    return _dump({"context_id": context_id, "close_context": True})


def wire_text(text: str) -> str:
    """The service wants every text message to end with a single space."""
    return text.rstrip() + " "
