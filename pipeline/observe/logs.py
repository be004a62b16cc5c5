"""Structured logging: every record from inside a session carries its ``session_id`` and ``turn_id`` (a context
variable the session sets and the interruption controller advances), text or JSON lines, secrets scrubbed.

    configure_logging(level="info", fmt="json")   # what ``--log-level`` / ``--log-format`` do

Quiet by default: warnings and errors only, on stderr.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import IO

from providers.redact import redact


@dataclass
class LogScope:
    """The session (and its current turn) that code running in this context belongs to. One object per
    session, shared by all of its tasks, so advancing the turn is seen everywhere at once."""

    session_id: str
    turn_id: int | None = None


_scope: ContextVar[LogScope | None] = ContextVar("parley_log_scope", default=None)


@contextmanager
def session_scope(session_id: str) -> Iterator[LogScope]:
    """Inside: log records (and tasks started here, which copy the context) carry ``session_id``."""
    scope = LogScope(session_id)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def current_scope() -> LogScope | None:
    return _scope.get()


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


LOG_LEVELS = ("debug", "info", "warning", "error")

_SECRET_ENV_SUFFIXES = ("_API_KEY", "_KEY", "_TOKEN", "_SECRET", "_PASSWORD")


def secrets_from_environment() -> tuple[str, ...]:
    return tuple(
        value
        for name, value in os.environ.items()
        if name.upper().endswith(_SECRET_ENV_SUFFIXES) and len(value) >= 6
    )


class SessionContextFilter(logging.Filter):
    """Adds ``session_id`` and ``turn_id`` (from the context, unless the call gave them in ``extra``) and
    scrubs secrets from the message and the exception text."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        scope = _scope.get()
        if not hasattr(record, "session_id"):
            record.session_id = scope.session_id if scope else None
        if not hasattr(record, "turn_id"):
            record.turn_id = scope.turn_id if scope else None
        message = record.getMessage()
        clean = redact(message, self.secrets)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.secrets)
        return True


class TextFormatter(logging.Formatter):
    """``12:00:01.234 WARNING pipeline.x [sess_ab12 t3] message``"""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.datetime.fromtimestamp(record.created, datetime.UTC).strftime("%H:%M:%S.%f")[:-3]
        session = getattr(record, "session_id", None)
        turn = getattr(record, "turn_id", None)
        where = f" [{session}{f' t{turn}' if turn is not None else ''}]" if session else ""
        line = f"{when} {record.levelname} {record.name}{where} {record.getMessage()}"
        if record.exc_text or record.exc_info:
            line += "\n" + (record.exc_text or self.formatException(record.exc_info))  # type: ignore[arg-type]
        return line


_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, session_id, turn_id and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, object] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                fields[key] = value
        if record.exc_text or record.exc_info:
            fields["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(fields, default=str)


_HANDLER_NAME = "parley"


def configure_logging(
    level: str = "warning", fmt: str | LogFormat = LogFormat.TEXT, stream: IO[str] | None = None
) -> logging.Handler:
    """Install Parley's handler on the root logger (replacing a previous one of ours): ``level`` is one of
    debug/info/warning/error, ``fmt`` text or json. Returns the handler."""
    if level.lower() not in LOG_LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    try:
        log_format = LogFormat(fmt)
    except ValueError:
        raise ValueError(f"log format must be text or json, got {fmt!r}") from None
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME:
            root.removeHandler(existing)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(SessionContextFilter(secrets_from_environment()))
    handler.setFormatter(JsonFormatter() if log_format is LogFormat.JSON else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler
