"""Call records in a SQLite file (stdlib sqlite3, each operation in a worker thread, off the event loop)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pipeline.base.compute import run_blocking
from pipeline.records.model import CallRecord, CallSummary
from pipeline.records.store import (
    COLUMNS,
    MIGRATIONS,
    SCHEMA_VERSION,
    CallStoreError,
    delete_recording,
    row_values,
)


class SqliteCallStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        if not self._ready:
            connection.execute("PRAGMA journal_mode=WAL")
            migrate(connection)
            self._ready = True
        return connection

    async def save(self, record: CallRecord) -> None:
        values = row_values(record)

        def write() -> None:
            with self._connect() as connection:
                connection.execute(
                    f"INSERT OR REPLACE INTO calls ({', '.join(COLUMNS)}, record) VALUES ({', '.join('?' * 9)})",
                    values,
                )
            connection.close()

        await run_blocking(write)

    async def get(self, call_id: str) -> CallRecord | None:
        def read() -> str | None:
            connection = self._connect()
            try:
                row = connection.execute("SELECT record FROM calls WHERE id = ?", (call_id,)).fetchone()
            finally:
                connection.close()
            return None if row is None else str(row[0])

        text = await run_blocking(read)
        return None if text is None else CallRecord.model_validate_json(text)

    async def list_calls(self, limit: int = 50) -> list[CallSummary]:
        def read() -> list[str]:
            connection = self._connect()
            try:
                rows = connection.execute(
                    "SELECT record FROM calls ORDER BY started_at DESC LIMIT ?", (limit,)
                ).fetchall()
            finally:
                connection.close()
            return [str(row[0]) for row in rows]

        texts = await run_blocking(read)
        return [CallSummary.of(CallRecord.model_validate_json(text)) for text in texts]

    async def delete(self, call_id: str) -> bool:
        record = await self.get(call_id)
        if record is None:
            return False

        def remove() -> None:
            with self._connect() as connection:
                connection.execute("DELETE FROM calls WHERE id = ?", (call_id,))
            connection.close()

        await run_blocking(remove)
        delete_recording(record.recording_path)
        return True

    async def aclose(self) -> None:
        return None


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
