"""A call record as stored: a small head (who, when, how it ended, usage) and one row per growing item
(transcript entry, tool call, turn metrics, event mark). Saving after a speech writes the head and the rows that are
new or changed since the last save, so its cost does not grow with the length of the call.

A row is ``(kind, seq, body)``: ``kind`` names the record's list (``transcript``, ``tool_calls``, ``turns``,
``events``), ``seq`` is the item's index in it and ``body`` its JSON. Rows are upserted by ``(call, kind, seq)``: a
tool call is written when it starts and again when it finishes. Records saved before items had rows (schema 1) keep
their lists in the head; reading appends the rows to whatever the head holds, so both read the same."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from pipeline.records.model import CallRecord, CallSummary


class ItemKind(StrEnum):
    """The record's growing lists, each stored one row per item."""

    TRANSCRIPT = "transcript"
    TOOL_CALLS = "tool_calls"
    TURNS = "turns"
    EVENTS = "events"


ITEM_FIELDS = frozenset(kind.value for kind in ItemKind)


@dataclass(frozen=True, slots=True)
class RecordItem:
    kind: ItemKind
    seq: int
    body: str  # the item's JSON


@dataclass(frozen=True, slots=True)
class RecordUpdate:
    """What one save writes: the call's row (head included) and the items new or changed since the last save.
    ``replace_items`` (a whole-record save) drops the call's stored items before writing these."""

    row: tuple[str | None, ...]  # values of store.COLUMNS, then the head JSON
    items: tuple[RecordItem, ...]
    replace_items: bool = False

    @property
    def call_id(self) -> str:
        return str(self.row[0])


def head_json(record: CallRecord) -> str:
    """The record without its growing lists."""
    return record.model_dump_json(exclude=set(ITEM_FIELDS))


def record_row(record: CallRecord) -> tuple[str | None, ...]:
    return (
        record.id,
        record.status.value,
        record.started_at,
        record.ended_at,
        record.end_reason,
        record.config_name,
        record.caller_number,
        record.recording_path,
        head_json(record),
    )


def item_body(record: CallRecord, kind: ItemKind, seq: int) -> str:
    if kind is ItemKind.TRANSCRIPT:
        return record.transcript[seq].model_dump_json()
    if kind is ItemKind.TOOL_CALLS:
        return record.tool_calls[seq].model_dump_json()
    if kind is ItemKind.TURNS:
        return json.dumps(record.turns[seq])
    return record.events[seq].model_dump_json()


def item_count(record: CallRecord, kind: ItemKind) -> int:
    return len(getattr(record, kind.value))


def whole_record(record: CallRecord) -> RecordUpdate:
    """Every item of the record, replacing whatever the store held for the call."""
    items = tuple(
        RecordItem(kind, seq, item_body(record, kind, seq))
        for kind in ItemKind
        for seq in range(item_count(record, kind))
    )
    return RecordUpdate(record_row(record), items, replace_items=True)


def assemble(head: str, items: Iterable[tuple[str, str]]) -> CallRecord:
    """The record from its head JSON and its ``(kind, body)`` rows in ``seq`` order within each kind."""
    data = json.loads(head)
    for kind, body in items:
        data.setdefault(kind, []).append(json.loads(body))
    return CallRecord.model_validate(data)


def summary(head: str, stored_turns: int) -> CallSummary:
    """The ``calls list`` line from the head and the number of turn rows stored for the call."""
    record = CallRecord.model_validate_json(head)
    return CallSummary.of(record, turns=len(record.turns) + stored_turns)
