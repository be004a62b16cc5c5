"""Parley's WebSocket protocol (PROTOCOL.md): the client's messages as models, the server's own messages,
and the close codes. Parsing a bad message raises ``ProtocolViolation`` naming the problem."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

PROTOCOL_VERSION = 1
MAX_METADATA_BYTES = 4096

# Close codes (PROTOCOL.md, "Close codes").
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011
CLOSE_BAD_MESSAGE = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_IDLE = 4408
CLOSE_RATE_LIMITED = 4429
CLOSE_BUSY = 4503


class ProtocolViolation(Exception):
    """A message the protocol does not allow; the connection closes with ``code`` and ``reason``."""

    def __init__(self, reason: str, code: int = CLOSE_BAD_MESSAGE) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason[:120]  # a WebSocket close reason is at most 123 bytes


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Start(_Message):
    type: Literal["start"]
    sample_rate: int = Field(ge=8000, le=48000)
    encoding: Literal["pcm16", "mulaw"]
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Start:
        if self.encoding == "mulaw" and self.sample_rate != 8000:
            raise ValueError("mulaw audio must be 8000 Hz")
        if len(json.dumps(self.metadata)) > MAX_METADATA_BYTES:
            raise ValueError(f"metadata is larger than {MAX_METADATA_BYTES} bytes")
        return self


class Say(_Message):
    type: Literal["say"]
    text: str = Field(min_length=1, max_length=10_000)
    allow_interruption: bool = True


class Interrupt(_Message):
    type: Literal["interrupt"]


class Inject(_Message):
    type: Literal["inject"]
    text: str = Field(min_length=1, max_length=10_000)


class Update(_Message):
    type: Literal["update"]
    instructions: str | None = Field(default=None, max_length=50_000)
    temperature: float | None = None
    max_tokens: int | None = None


class End(_Message):
    type: Literal["end"]
    goodbye: str | None = Field(default=None, max_length=10_000)


class Played(_Message):
    type: Literal["played"]
    speech_id: str = Field(max_length=100)
    seconds: float = Field(ge=0)


Control = Annotated[Say | Interrupt | Inject | Update | End | Played, Field(discriminator="type")]
_CONTROL: TypeAdapter[Say | Interrupt | Inject | Update | End | Played] = TypeAdapter(Control)


def _load(text: str) -> Any:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolViolation(f"not JSON: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolViolation("a text message must be a JSON object with a string 'type'")
    return data


def _problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


def parse_start(text: str) -> Start:
    data = _load(text)
    if data["type"] != "start":
        raise ProtocolViolation(f"the first message must be 'start', got {data['type']!r}")
    try:
        return Start.model_validate(data)
    except ValidationError as exc:
        raise ProtocolViolation(f"bad start: {_problem(exc)}") from None


def parse_control(text: str) -> Say | Interrupt | Inject | Update | End | Played:
    data = _load(text)
    if data["type"] == "start":
        raise ProtocolViolation("'start' was already received")
    try:
        return _CONTROL.validate_python(data)
    except ValidationError as exc:
        if exc.errors()[0]["type"] == "union_tag_invalid":
            raise ProtocolViolation(f"unknown message type {data['type']!r}") from None
        raise ProtocolViolation(f"bad {data['type']}: {_problem(exc)}") from None


def ready_message(session_id: str, start: Start, frame_ms: int) -> str:
    return json.dumps(
        {
            "type": "ready",
            "protocol": PROTOCOL_VERSION,
            "session_id": session_id,
            "sample_rate": start.sample_rate,
            "encoding": start.encoding,
            "frame_ms": frame_ms,
            "metadata": start.metadata,
        }
    )


def clear_message(speech_id: str) -> str:
    return json.dumps({"type": "clear", "speech_id": speech_id})
