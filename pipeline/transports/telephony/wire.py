"""Helpers shared by the platform serializers: JSON and base64 with errors that name the problem."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pipeline.transports.telephony.messages import TelephonyMessageError

ModelT = TypeVar("ModelT", bound=BaseModel)


def load_event(platform: str, text: str | bytes) -> tuple[str, dict[str, Any]]:
    """The message's ``event`` name and its fields."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TelephonyMessageError(f"{platform}: message is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise TelephonyMessageError(f"{platform}: message is not a JSON object")
    event = data.get("event")
    if not isinstance(event, str):
        raise TelephonyMessageError(f"{platform}: message has no 'event' field")
    return event, data


def read_model(platform: str, event: str, model: type[ModelT], data: object) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise TelephonyMessageError(f"{platform}: bad {event!r} message: {problems}") from None


def decode_payload(platform: str, payload: str) -> bytes:
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TelephonyMessageError(f"{platform}: media payload is not base64: {exc}") from None


def encode_payload(payload: bytes) -> str:
    return base64.b64encode(payload).decode("ascii")


def dump(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def as_int(value: str | int | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None
