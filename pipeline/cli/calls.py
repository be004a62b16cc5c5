"""``parley calls list|show|plot``: review recorded calls."""

from __future__ import annotations

from typing import Any


def add_calls_commands(commands: Any) -> None:
    """Filled in with the call records."""
