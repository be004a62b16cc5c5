"""Server-sent events encoding, with the quirks OpenAI-compatible servers show in the wild."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SseStyle:
    """`space_after_colon=False` gives `data:{...}`; `crlf` uses CRLF line endings; `keepalive_every=N` adds a
    `: keepalive` comment before the first event and then every N events (0 = never)."""

    space_after_colon: bool = True
    crlf: bool = False
    keepalive_every: int = 0

    @property
    def newline(self) -> str:
        return "\r\n" if self.crlf else "\n"


def sse_data(data: str, style: SseStyle) -> bytes:
    """One `data:` event carrying `data` (a single line)."""
    separator = " " if style.space_after_colon else ""
    newline = style.newline
    return f"data:{separator}{data}{newline}{newline}".encode()


def sse_json(payload: Any, style: SseStyle) -> bytes:
    return sse_data(json.dumps(payload, separators=(",", ":")), style)


def sse_comment(text: str, style: SseStyle) -> bytes:
    newline = style.newline
    return f": {text}{newline}{newline}".encode()
