"""What a fake received: one `RecordedRequest` per HTTP request or websocket connection."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class RecordedRequest:
    """One HTTP request or websocket connection as the fake saw it.

    `query` keeps the last value of each parameter (`query_lists` keeps them all), `headers` have lower-case
    names, `body` is the parsed JSON or form fields, `messages` the websocket client's text messages (parsed
    JSON where possible), `audio_bytes` the binary bytes received (websocket) or uploaded (multipart file).
    `disconnected` is set when the client went away before the response ended (e.g. `stream.close()`).
    """

    method: str
    path: str
    query: dict[str, str]
    query_lists: dict[str, list[str]]
    headers: dict[str, str]
    body: Any = None
    messages: list[Any] = field(default_factory=list)
    audio_bytes: int = 0
    disconnected: bool = False

    def messages_with(self, **fields: Any) -> list[dict[str, Any]]:
        """Client JSON messages whose given keys have the given values, e.g. `messages_with(type="Finalize")`."""
        found: list[dict[str, Any]] = []
        for message in self.messages:
            if isinstance(message, dict) and all(message.get(k) == v for k, v in fields.items()):
                found.append(message)
        return found

    def record_text(self, text: str) -> Any:
        """Store a websocket text message (parsed if it is JSON) and return what was stored."""
        try:
            parsed: Any = json.loads(text)
        except ValueError:
            parsed = text
        self.messages.append(parsed)
        return parsed


def split_target(target: str) -> tuple[str, dict[str, str], dict[str, list[str]]]:
    """Split a request target into path, last-value query dict and all-values query dict."""
    parts = urlsplit(target)
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        single[key] = value
        multi.setdefault(key, []).append(value)
    return parts.path, single, multi


def new_record(method: str, target: str, headers: Mapping[str, str]) -> RecordedRequest:
    path, single, multi = split_target(target)
    lowered = {name.lower(): value for name, value in headers.items()}
    return RecordedRequest(method=method, path=path, query=single, query_lists=multi, headers=lowered)
