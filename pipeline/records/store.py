"""Where call records live: one small interface, SQLite by default (a file, zero set-up) or PostgreSQL (many
workers). ``open_store`` picks one from a URL or a path. Both keep a ``schema_version`` table and apply the
migrations they have not seen yet."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pipeline.records.model import CallRecord, CallSummary
from pipeline.records.update import RecordUpdate

# (version, statements). Append; never edit a released step.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """CREATE TABLE IF NOT EXISTS calls (
                id TEXT PRIMARY KEY,
                status TEXT NOT NULL,
                started_at TEXT,
                ended_at TEXT,
                end_reason TEXT,
                config_name TEXT,
                caller_number TEXT,
                recording_path TEXT,
                record TEXT NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS calls_started_at ON calls (started_at)",
        ),
    ),
    (
        2,
        (
            # One row per transcript entry / tool call / turn / event (see records.update); calls.record keeps
            # the head. Rows of schema 1 keep their whole record in calls.record and have no items.
            """CREATE TABLE IF NOT EXISTS call_items (
                call_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                seq INTEGER NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (call_id, kind, seq)
            )""",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
# The calls table's columns; the head JSON (update.head_json) goes in ``record`` after them.
COLUMNS = (
    "id",
    "status",
    "started_at",
    "ended_at",
    "end_reason",
    "config_name",
    "caller_number",
    "recording_path",
)


class CallStoreError(RuntimeError):
    """The store cannot be opened or used (bad URL, unreachable database, newer schema)."""


class CallStore(Protocol):
    """Saves and reads call records. A call's record is written at its start, after each agent speech and at its
    end, each time as a ``RecordUpdate``: the head and only the items new since the last write. ``save`` writes a
    whole record (inserts or replaces)."""

    async def write(self, update: RecordUpdate) -> None: ...

    async def save(self, record: CallRecord) -> None: ...

    async def get(self, call_id: str) -> CallRecord | None: ...

    async def list_calls(self, limit: int = 50) -> list[CallSummary]: ...

    async def delete(self, call_id: str) -> bool:
        """Delete the record and its recording file; False when there was no such call."""
        ...

    async def aclose(self) -> None: ...


def delete_recording(path: str | None) -> None:
    if path:
        Path(path).unlink(missing_ok=True)
