"""``parley calls list|show|plot|delete``: review the calls in the call store (``--db``: a SQLite path or a
``postgresql://`` URL; default ``$PARLEY_CALLS_DB`` or ``runs/calls.db``)."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio

from pipeline.cli.errors import CliError
from pipeline.records.connect import open_store
from pipeline.records.model import CallRecord
from pipeline.records.store import CallStore, CallStoreError

DEFAULT_CALLS_DB = "runs/calls.db"
T = TypeVar("T")


def default_calls_db() -> str:
    return os.environ.get("PARLEY_CALLS_DB", DEFAULT_CALLS_DB)


def add_calls_commands(commands: Any) -> None:
    calls = commands.add_parser("calls", help="review recorded calls: list, show, plot, delete")
    actions = calls.add_subparsers(dest="calls_command", required=True)

    def common(parser: argparse.ArgumentParser) -> None:
        from pipeline.observe.logs import LOG_LEVELS

        # also after the action (`calls list --log-level debug`); SUPPRESS keeps a value given before it
        parser.add_argument("--log-level", choices=LOG_LEVELS, default=argparse.SUPPRESS)
        parser.add_argument("--log-format", choices=("text", "json"), default=argparse.SUPPRESS)
        parser.add_argument(
            "--db",
            default=None,
            help=f"call store: a SQLite path or postgresql:// URL (default: {DEFAULT_CALLS_DB})",
        )

    listing = actions.add_parser("list", help="recent calls as a table")
    common(listing)
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    listing.set_defaults(handler=command_list)

    show = actions.add_parser("show", help="one call: transcript, turn waterfall, tool calls, events")
    common(show)
    show.add_argument("id")
    show.add_argument("--json", action="store_true", help="the whole record as JSON")
    show.set_defaults(handler=command_show)

    plot = actions.add_parser(
        "plot", help="the latency waterfall of one call as a PNG (needs the bench extra)"
    )
    common(plot)
    plot.add_argument("id")
    plot.add_argument("--out", help="PNG path (default: <id>-waterfall.png)")
    plot.set_defaults(handler=command_plot)

    delete = actions.add_parser("delete", help="delete a call's record and its recording")
    common(delete)
    delete.add_argument("id")
    delete.set_defaults(handler=command_delete)


def _with_store(db: str | None, work: Callable[[CallStore], Awaitable[T]]) -> T:
    location = db or default_calls_db()
    if "://" not in location and not Path(location).exists():
        raise CliError(f"{location}: no call store yet (calls are recorded by `run` and `serve`)")

    async def run() -> T:
        try:
            store = open_store(location)  # a bad URL, or postgresql:// without the postgres extra
        except CallStoreError as exc:
            raise CliError(str(exc)) from None
        try:
            return await work(store)
        except CallStoreError as exc:
            raise CliError(str(exc)) from None
        finally:
            await store.aclose()

    return anyio.run(run)


def _record(args: argparse.Namespace) -> CallRecord:
    record = _with_store(args.db, lambda store: store.get(args.id))
    if record is None:
        raise CliError(f"no call {args.id!r} in {args.db or default_calls_db()}")
    return record


def command_list(args: argparse.Namespace) -> int:
    summaries = _with_store(args.db, lambda store: store.list_calls(args.limit))
    if args.json:
        for summary in summaries:
            print(summary.model_dump_json())
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"calls in {args.db or default_calls_db()}")
    for column in ("id", "started", "duration", "status", "turns", "config", "caller", "recording"):
        table.add_column(column, no_wrap=column in ("id", "started"))
    for s in summaries:
        table.add_row(
            s.id,
            (s.started_at or "")[:19].replace("T", " "),
            f"{s.duration:.1f} s" if s.duration is not None else "",
            "incomplete" if s.status.value != "complete" else (s.end_reason or ""),
            str(s.turns),
            s.config_name or "",
            s.caller_number or "",
            "yes" if s.recording_path else "",
        )
    Console(width=max(140, Console().width)).print(table)
    return 0


def command_show(args: argparse.Namespace) -> int:
    record = _record(args)
    if args.json:
        print(json.dumps(record.model_dump(mode="json"), indent=2))
        return 0
    from pipeline.records.waterfall import waterfall_lines

    state = (
        "INCOMPLETE (the process ended before the call did)"
        if record.incomplete
        else f"ended: {record.end_reason}"
    )
    print(f"call {record.id}  {state}")
    print(
        f"  started {record.started_at}  duration {record.duration or 0:.1f} s  config {record.config_name or '-'}"
    )
    if record.caller_number:
        print(f"  caller {record.caller_number}")
    if record.providers:
        print("  providers " + ", ".join(f"{k}={v}" for k, v in record.providers.items()))
    if record.recording_path:
        print(f"  recording {record.recording_path}")
    if record.error:
        print(f"  error {record.error}")
    print("\ntranscript")
    for entry in record.transcript:
        if entry.role == "agent" and entry.interrupted:
            print(f"  {entry.at:7.2f}  agent: {entry.heard_text} [interrupted; meant: {entry.text}]")
        else:
            print(f"  {entry.at:7.2f}  {entry.role}: {entry.text}")
    if record.tool_calls:
        print("\ntool calls")
        for tool in record.tool_calls:
            took = f" {tool.duration * 1000:.0f} ms" if tool.duration is not None else ""
            print(
                f"  {tool.at:7.2f}  {tool.name}({tool.arguments}) -> {tool.status or 'unfinished'}{took}: {tool.result or ''}"
            )
    print("\nturn waterfall (voice-to-voice)")
    for line in waterfall_lines(record):
        print(f"  {line}")
    print("\nevents")
    for mark in record.events:
        turn = f" turn {mark.turn_id}" if mark.turn_id is not None else ""
        print(f"  {mark.at:7.2f}  {mark.type}{turn} {mark.detail}".rstrip())
    if record.usage:
        print("\nusage")
        for usage in record.usage:
            print("  " + ", ".join(f"{k}={v}" for k, v in usage.items() if v not in (0, 0.0)))
    return 0


def command_plot(args: argparse.Namespace) -> int:
    from pipeline.records.waterfall import plot_waterfall

    record = _record(args)
    try:
        path = plot_waterfall(record, args.out or f"{record.id}-waterfall.png")
    except RuntimeError as exc:
        raise CliError(str(exc)) from None
    print(path)
    return 0


def command_delete(args: argparse.Namespace) -> int:
    if not _with_store(args.db, lambda store: store.delete(args.id)):
        raise CliError(f"no call {args.id!r}")
    print(f"deleted {args.id}")
    return 0
