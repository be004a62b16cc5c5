"""`calls list|show|plot|delete` and the recent-calls page, on a recorded call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from trio.testing import MockClock

from pipeline.cli.main import main
from pipeline.records.connect import open_store
from pipeline.records.observer import CallRecords
from pipeline.records.web import recent_calls_app
from tests.observed_call import run_weather_call


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "calls.db"

    async def record() -> str:
        done = await run_weather_call(
            [CallRecords(open_store(db), recordings=tmp_path / "rec", mode="on")],
            metadata={"caller_number": "+15550100"},
        )
        return done.session.id

    session_id = anyio.run(record, backend="trio", backend_options={"clock": MockClock(autojump_threshold=0)})
    return db, session_id


def test_list_show_plot_delete(
    recorded: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, session_id = recorded
    assert main(["calls", "list", "--db", str(db)]) == 0
    table = capsys.readouterr().out
    assert session_id in table and "+15550100" in table and "weather-test" in table
    assert main(["calls", "list", "--db", str(db), "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["turns"] == 2

    assert main(["calls", "show", session_id, "--db", str(db)]) == 0
    shown = capsys.readouterr().out
    assert "user: weather in paris" in shown
    assert "[interrupted; meant: It is 21 degrees in Paris." in shown
    assert 'get_weather({"city":"Paris"}) -> ok' in shown
    assert "turn   1" in shown and "turn   2" in shown and "legend:" in shown
    assert "interruption turn 1" in shown

    png = tmp_path / "waterfall.png"
    assert main(["calls", "plot", session_id, "--db", str(db), "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    assert main(["calls", "delete", session_id, "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["calls", "show", session_id, "--db", str(db)]) == 2
    assert f"no call '{session_id}'" in capsys.readouterr().err


def test_a_missing_store_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calls", "list", "--db", str(tmp_path / "none.db")]) == 2
    assert "no call store yet" in capsys.readouterr().err


def test_recent_calls_page_and_json(recorded: tuple[Path, str]) -> None:
    db, session_id = recorded
    app = recent_calls_app(open_store(db))

    async def get(path: str) -> tuple[int, bytes]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app({"type": "http", "method": "GET", "path": path}, receive, send)
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent)

    status, page = anyio.run(get, "/")
    assert status == 200 and session_id.encode() in page and b"weather in paris" in page
    assert b"[interrupted]" in page and b"voice-to-voice" in page
    status, listing = anyio.run(get, "/calls.json")
    assert status == 200 and json.loads(listing)[0]["id"] == session_id
    status, one = anyio.run(get, f"/{session_id}.json")
    assert status == 200 and json.loads(one)["tool_calls"][0]["name"] == "get_weather"
    assert anyio.run(get, "/nope.json")[0] == 404
