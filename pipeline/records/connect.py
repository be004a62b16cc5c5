"""Open a call store from a URL or a path."""

from __future__ import annotations

from pathlib import Path

from pipeline.base.extras import MissingExtraError
from pipeline.records.store import CallStore, CallStoreError


def open_store(url: str | Path) -> CallStore:
    """``postgresql://user@host/db`` (asyncpg: the ``postgres`` extra), ``sqlite:///path/calls.db`` or a plain path
    (SQLite). A postgresql:// URL without asyncpg installed is a CallStoreError naming ``parley[postgres]``."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        from pipeline.records.postgres import PostgresCallStore

        try:
            return PostgresCallStore(text)
        except MissingExtraError as exc:  # a plain `pip install parley`: no asyncpg
            raise CallStoreError(str(exc)) from exc
    if "://" in text and not text.startswith("sqlite:///"):
        raise CallStoreError(
            f"unsupported call store URL {text!r}: use a path, sqlite:///path or postgresql://"
        )
    from pipeline.records.sqlite import SqliteCallStore

    return SqliteCallStore(
        Path(text.removeprefix("sqlite:///")) if text.startswith("sqlite:///") else Path(text)
    )
