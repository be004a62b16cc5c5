"""Loaded by every Python process started with this folder on PYTHONPATH: a meta-path finder that makes the
optional extras' packages look uninstalled (``import twilio`` raises ModuleNotFoundError, as in a plain
``pip install parley``). ``$PARLEY_BLOCKED_MODULES`` (comma-separated top-level names) overrides the default list.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

DEFAULT = "twilio,plivo,telnyx,nacl,asyncpg"
BLOCKED = frozenset(name for name in os.environ.get("PARLEY_BLOCKED_MODULES", DEFAULT).split(",") if name)


class BlockExtras:
    """First on ``sys.meta_path``: refuses the blocked packages and everything under them."""

    @classmethod
    def find_spec(
        cls, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(
                f"No module named {fullname!r} (blocked by tests/extras_guard)", name=fullname
            )
        return None


sys.meta_path.insert(0, BlockExtras)
