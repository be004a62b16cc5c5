"""Where call records live: one small interface, SQLite by default (a file, zero set-up) or PostgreSQL (many
workers). ``open_store`` picks one from a URL or a path. Both keep a ``schema_version`` table and apply the
migrations they have not seen yet."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pipeline.records.model import CallRecord, CallSummary

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
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
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
    """Saves and reads call records. ``save`` inserts or replaces (a record is saved at the start of the call,
    after turns, and at the end)."""

    async def save(self, record: CallRecord) -> None: ...

    async def get(self, call_id: str) -> CallRecord | None: ...

    async def list_calls(self, limit: int = 50) -> list[CallSummary]: ...

    async def delete(self, call_id: str) -> bool:
        """Delete the record and its recording file; False when there was no such call."""
        ...

    async def aclose(self) -> None: ...


def row_values(record: CallRecord) -> tuple[str | None, ...]:
    return (
        record.id,
        record.status.value,
        record.started_at,
        record.ended_at,
        record.end_reason,
        record.config_name,
        record.caller_number,
        record.recording_path,
        record.model_dump_json(),
    )


def delete_recording(path: str | None) -> None:
    if path:
        Path(path).unlink(missing_ok=True)
