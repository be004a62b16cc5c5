"""Call records are saved incrementally: each save writes the head and the items new since the last one. A long
call's record reads back complete after every save (SQLite and a real PostgreSQL), a tool call saved while running
is updated when it finishes, and a database written before items had their own rows (schema 1) still reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.records_updates import SAVED_AFTER, long_call
from pipeline.observe.events import AgentStoppedSpeaking, SpeechSource, ToolFinished, ToolStarted, ToolStatus
from pipeline.observe.observer import CallInfo
from pipeline.records.builder import CallRecordBuilder
from pipeline.records.connect import open_store
from pipeline.records.model import CallStatus
from pipeline.records.store import MIGRATIONS, CallStore
from tests.postgres_server import postgres_server

pytestmark = pytest.mark.anyio


async def check_long_call(store: CallStore) -> None:
    builder = CallRecordBuilder(CallInfo("long-call", "support", {"caller_number": "+15550100"}))
    saves = 0
    for event in long_call("long-call", minutes=10, turn_seconds=6):
        builder.add(event)
        if not isinstance(event, SAVED_AFTER):
            continue
        update = builder.take_update()
        # what one save writes does not grow with the call: this turn's items only
        assert len(update.items) <= 7, [(item.kind, item.seq) for item in update.items]
        await store.write(update)
        saves += 1
        if saves % 10 == 1 or isinstance(event, SAVED_AFTER[-1]):
            assert await store.get("long-call") == builder.record
    record = await store.get("long-call")
    assert record is not None and record.status is CallStatus.COMPLETE
    assert len(record.transcript) == 200 and len(record.turns) == 100 and len(record.tool_calls) == 33
    assert record.transcript[-1].text.startswith("Order 100 shipped")
    assert [t.status for t in record.tool_calls] == ["ok"] * 33
    assert record.events[0].type == "session_started" and record.events[-1].type == "session_ended"
    (summary,) = await store.list_calls()
    assert (summary.id, summary.turns, summary.status) == ("long-call", 100, CallStatus.COMPLETE)


async def check_tool_call_finishing_after_a_save(store: CallStore) -> None:
    builder = CallRecordBuilder(CallInfo("tool-call"))
    ids = {"session_id": "tool-call", "turn_id": 1}
    spoke = {"speech_id": "s", "source": SpeechSource.REPLY, "interrupted": False, "played_seconds": 1.0}
    builder.add(ToolStarted(timestamp=1.0, call_id="c1", name="book", arguments="{}", **ids))
    builder.add(
        AgentStoppedSpeaking(timestamp=2.0, heard_text="One moment.", text="One moment.", **spoke, **ids)
    )
    await store.write(builder.take_update())
    running = await store.get("tool-call")
    assert running is not None and running.tool_calls[0].status is None
    builder.add(ToolFinished(timestamp=3.0, call_id="c1", name="book", status=ToolStatus.OK, result="booked",
                             duration=2.0, **ids))  # fmt: skip
    builder.add(AgentStoppedSpeaking(timestamp=4.0, heard_text="Booked.", text="Booked.", **spoke, **ids))
    await store.write(builder.take_update())
    record = await store.get("tool-call")
    assert record is not None and len(record.tool_calls) == 1
    assert (record.tool_calls[0].status, record.tool_calls[0].result) == ("ok", "booked")
    assert [e.text for e in record.transcript] == ["One moment.", "Booked."]


async def test_sqlite_long_call_record_is_complete_after_every_save(tmp_path: Path) -> None:
    store = open_store(tmp_path / "calls.db")
    await check_long_call(store)
    await check_tool_call_finishing_after_a_save(store)
    assert await store.delete("long-call") and await store.get("long-call") is None
    await store.aclose()
    reopened = open_store(tmp_path / "calls.db")  # what was written is in the file, not only in a connection
    assert [s.id for s in await reopened.list_calls()] == ["tool-call"]
    await reopened.aclose()


async def test_a_schema_1_database_still_reads_and_takes_new_calls(tmp_path: Path) -> None:
    builder = CallRecordBuilder(CallInfo("old-call", "support"))
    for event in long_call("old-call", minutes=1, turn_seconds=6):
        builder.add(event)
    old = builder.record
    path = tmp_path / "calls.db"
    with sqlite3.connect(path) as db:  # what the previous release wrote: the whole record in calls.record
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for statement in MIGRATIONS[0][1]:
            db.execute(statement)
        db.execute("INSERT INTO schema_version (version) VALUES (1)")
        db.execute(
            "INSERT INTO calls (id, status, started_at, record) VALUES (?, ?, ?, ?)",
            (old.id, old.status.value, old.started_at, old.model_dump_json()),
        )
    db.close()
    store = open_store(path)
    assert await store.get("old-call") == old
    await check_tool_call_finishing_after_a_save(store)
    summaries = {s.id: s.turns for s in await store.list_calls()}
    assert summaries == {"old-call": 10, "tool-call": 0}
    await store.aclose()


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    yield from postgres_server()


@pytest.mark.vendor_sdk  # asyncpg runs on asyncio
async def test_postgres_long_call_record_is_complete_after_every_save(postgres_url: str) -> None:
    store = open_store(postgres_url)
    try:
        await check_long_call(store)
        await check_tool_call_finishing_after_a_save(store)
        for call in ("long-call", "tool-call"):
            assert await store.delete(call)
        assert await store.list_calls() == []
    finally:
        await store.aclose()
