"""Call records in a SQLite file (stdlib sqlite3, each operation in a worker thread, off the event loop)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from pipeline.base.compute import run_blocking
from pipeline.records.model import CallRecord, CallSummary
from pipeline.records.store import COLUMNS, MIGRATIONS, SCHEMA_VERSION, CallStoreError, delete_recording
from pipeline.records.update import RecordUpdate, assemble, summary, whole_record

_UPSERT_CALL = f"INSERT OR REPLACE INTO calls ({', '.join(COLUMNS)}, record) VALUES ({', '.join('?' * 9)})"
_UPSERT_ITEM = "INSERT OR REPLACE INTO call_items (call_id, kind, seq, body) VALUES (?, ?, ?, ?)"
T = TypeVar("T")


class SqliteCallStore:
    """One connection per store, opened on first use and kept (each open of a WAL database re-reads its schema and
    the last close checkpoints the log: most of a small write's cost), used by one worker thread at a time.
    ``synchronous=NORMAL`` (the WAL setting SQLite recommends): a killed process loses nothing committed; a power
    cut may lose the last writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    def _run(self, work: Callable[[sqlite3.Connection], T]) -> Awaitable[T]:
        def locked() -> T:
            with self._lock:
                if self._connection is None:
                    self._connection = _open(self.path)
                return work(self._connection)

        return run_blocking(locked)

    async def write(self, update: RecordUpdate) -> None:
        call_id = update.call_id
        items = [(call_id, item.kind.value, item.seq, item.body) for item in update.items]

        def write(connection: sqlite3.Connection) -> None:
            with connection:
                if update.replace_items:
                    connection.execute("DELETE FROM call_items WHERE call_id = ?", (call_id,))
                connection.execute(_UPSERT_CALL, update.row)
                connection.executemany(_UPSERT_ITEM, items)

        await self._run(write)

    async def save(self, record: CallRecord) -> None:
        await self.write(whole_record(record))

    async def get(self, call_id: str) -> CallRecord | None:
        def read(connection: sqlite3.Connection) -> tuple[str, list[tuple[str, str]]] | None:
            row = connection.execute("SELECT record FROM calls WHERE id = ?", (call_id,)).fetchone()
            if row is None:
                return None
            items = connection.execute(
                "SELECT kind, body FROM call_items WHERE call_id = ? ORDER BY kind, seq", (call_id,)
            ).fetchall()
            return str(row[0]), [(str(kind), str(body)) for kind, body in items]

        found = await self._run(read)
        return None if found is None else assemble(*found)

    async def list_calls(self, limit: int = 50) -> list[CallSummary]:
        def read(connection: sqlite3.Connection) -> list[tuple[str, int]]:
            rows = connection.execute(
                "SELECT record, (SELECT COUNT(*) FROM call_items WHERE call_id = calls.id AND kind = 'turns') "
                "FROM calls ORDER BY started_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
            return [(str(head), int(turns)) for head, turns in rows]

        return [summary(head, turns) for head, turns in await self._run(read)]

    async def delete(self, call_id: str) -> bool:
        def remove(connection: sqlite3.Connection) -> tuple[bool, str | None]:
            with connection:
                row = connection.execute(
                    "SELECT recording_path FROM calls WHERE id = ?", (call_id,)
                ).fetchone()
                connection.execute("DELETE FROM calls WHERE id = ?", (call_id,))
                connection.execute("DELETE FROM call_items WHERE call_id = ?", (call_id,))
            return row is not None, None if row is None else row[0]

        found, recording = await self._run(remove)
        if found:
            delete_recording(recording)
        return found

    async def aclose(self) -> None:
        def close() -> None:
            with self._lock:
                if self._connection is not None:
                    self._connection.close()
                    self._connection = None

        await run_blocking(close)


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=10, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    migrate(connection)
    return connection


def migrate(connection: sqlite3.Connection) -> int:
    """Apply the migrations this database has not seen; returns the schema version."""
    with connection:
        connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = connection.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = int(row[0]) if row and row[0] is not None else 0
        if current > SCHEMA_VERSION:
            raise CallStoreError(
                f"call store schema version {current} is newer than this Parley ({SCHEMA_VERSION})"
            )
        for version, statements in MIGRATIONS:
            if version > current:
                for statement in statements:
                    connection.execute(statement)
                connection.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
    return SCHEMA_VERSION
