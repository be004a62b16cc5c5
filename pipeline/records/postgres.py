"""Call records in PostgreSQL (asyncpg, the ``postgres`` extra; asyncio only). The connection pool opens on first
use, in the event loop that uses it; migrations run under an advisory lock so many workers can start at once."""

from __future__ import annotations

from typing import Any

from pipeline.base.extras import require_extra
from pipeline.records.model import CallRecord, CallSummary
from pipeline.records.store import COLUMNS, MIGRATIONS, SCHEMA_VERSION, CallStoreError, delete_recording
from pipeline.records.update import RecordUpdate, assemble, summary, whole_record

_MIGRATION_LOCK = 7_263_114  # pg_advisory_xact_lock key of Parley's migrations
_UPSERT_CALL = (
    f"INSERT INTO calls ({', '.join(COLUMNS)}, record) VALUES ({', '.join(f'${i}' for i in range(1, 10))}) "
    f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in (*COLUMNS[1:], 'record'))}"
)
_UPSERT_ITEMS = (
    "INSERT INTO call_items (call_id, kind, seq, body) "
    "SELECT {call_id}, kind, seq, body FROM unnest({kinds}::text[], {seqs}::int[], {bodies}::text[]) "
    "AS item(kind, seq, body) ON CONFLICT (call_id, kind, seq) DO UPDATE SET body = EXCLUDED.body"
)
# One statement (one round trip, atomic): the call's row and its new items.
_WRITE = f"WITH call AS ({_UPSERT_CALL}) " + _UPSERT_ITEMS.format(
    call_id="$1", kinds="$10", seqs="$11", bodies="$12"
)


class PostgresCallStore:
    def __init__(self, dsn: str, *, min_size: int = 1, max_size: int = 4) -> None:
        require_extra("postgres", "PostgreSQL call records")
        self.dsn = dsn
        self._sizes = (min_size, max_size)
        self._pool: Any = None

    async def _acquire_pool(self) -> Any:
        if self._pool is None:
            import asyncpg

            try:
                pool = await asyncpg.create_pool(self.dsn, min_size=self._sizes[0], max_size=self._sizes[1])
            except (OSError, asyncpg.PostgresError) as exc:
                raise CallStoreError(
                    f"cannot open the PostgreSQL call store: {type(exc).__name__}: {exc}"
                ) from exc
            async with pool.acquire() as connection:
                await migrate(connection)
            self._pool = pool
        return self._pool

    async def write(self, update: RecordUpdate) -> None:
        pool = await self._acquire_pool()
        items = (
            [item.kind.value for item in update.items],
            [item.seq for item in update.items],
            [item.body for item in update.items],
        )
        if not update.replace_items:
            await pool.execute(_WRITE, *update.row, *items)
            return
        async with (
            pool.acquire() as connection,
            connection.transaction(),
        ):  # a whole record replaces the items
            await connection.execute("DELETE FROM call_items WHERE call_id = $1", update.call_id)
            await connection.execute(_WRITE, *update.row, *items)

    async def save(self, record: CallRecord) -> None:
        await self.write(whole_record(record))

    async def get(self, call_id: str) -> CallRecord | None:
        pool = await self._acquire_pool()
        async with pool.acquire() as connection, connection.transaction():
            head = await connection.fetchval("SELECT record FROM calls WHERE id = $1", call_id)
            if head is None:
                return None
            rows = await connection.fetch(
                "SELECT kind, body FROM call_items WHERE call_id = $1 ORDER BY kind, seq", call_id
            )
        return assemble(head, [(row["kind"], row["body"]) for row in rows])

    async def list_calls(self, limit: int = 50) -> list[CallSummary]:
        pool = await self._acquire_pool()
        rows = await pool.fetch(
            "SELECT record, (SELECT COUNT(*) FROM call_items WHERE call_id = calls.id AND kind = 'turns') AS turns "
            "FROM calls ORDER BY started_at DESC NULLS LAST LIMIT $1",
            limit,
        )
        return [summary(row["record"], int(row["turns"])) for row in rows]

    async def delete(self, call_id: str) -> bool:
        pool = await self._acquire_pool()
        async with pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(
                "DELETE FROM calls WHERE id = $1 RETURNING recording_path", call_id
            )
            await connection.execute("DELETE FROM call_items WHERE call_id = $1", call_id)
        if row is None:
            return False
        delete_recording(row["recording_path"])
        return True

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


async def migrate(connection: Any) -> int:
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        await connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        current = await connection.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version")
        if current > SCHEMA_VERSION:
            raise CallStoreError(
                f"call store schema version {current} is newer than this Parley ({SCHEMA_VERSION})"
            )
        for version, statements in MIGRATIONS:
            if version > current:
                for statement in statements:
                    await connection.execute(statement)
                await connection.execute("INSERT INTO schema_version (version) VALUES ($1)", version)
    return SCHEMA_VERSION
