"""Structured logs: records from inside a session carry its id and turn; secrets never reach the log."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from pipeline.observe.events import SessionEnded
from pipeline.observe.logs import configure_logging
from pipeline.stages.tools import tool
from providers.errors import ErrorCode, ProviderError
from providers.redact import redact
from tests.conversation import converse, make_pipeline, of_type
from tests.doubles import FailingStt, FakeTts, ScriptedLlm, ScriptedStt, call
from tests.observed_call import run_weather_call
from tests.test_conversation import one_turn

pytestmark = pytest.mark.anyio

FAKE_KEY = "sk-proj-FAKEabcdef0123456789SECRET"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("debug", "json", stream)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def test_records_inside_a_session_carry_its_id_and_turn(log_lines: io.StringIO) -> None:
    app_log = logging.getLogger("app.tools")

    @tool
    def lookup(city: str) -> str:
        """Look a city up."""
        app_log.info("looking up %s", city)
        return "found"

    llm = ScriptedLlm([[call("lookup", '{"city": "Oslo"}')], "Found it."])
    pipeline = make_pipeline(ScriptedStt(["find oslo"]), llm, FakeTts(), tools=[lookup])
    pipeline.observers = []

    done = await converse(pipeline, one_turn)

    lines = records(log_lines)
    session_lines = [r for r in lines if r["logger"] != "asyncio"]
    assert session_lines, "the session logged nothing"
    assert all(r["session_id"] == done.session.id for r in session_lines)
    (tool_line,) = [r for r in lines if r["logger"] == "app.tools"]
    assert tool_line["message"] == "looking up Oslo" and tool_line["turn_id"] == 1
    started = [r for r in lines if r.get("event") == "session_started"]
    ended = [r for r in lines if r.get("event") == "session_ended"]
    assert len(started) == 1 and len(ended) == 1 and ended[0]["reason"] == "ended"


async def test_a_provider_error_with_a_key_in_it_logs_no_secret(
    log_lines: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    handler = configure_logging("debug", "text", log_lines)  # reads the environment's secrets again
    error = ProviderError(
        "openai",
        f"Incorrect API key provided: {FAKE_KEY}. Authorization: Bearer {FAKE_KEY}",
        code=ErrorCode.AUTH_FAILED,
    )
    pipeline = make_pipeline(FailingStt(error), ScriptedLlm(["never"]), FakeTts())
    pipeline.observers = []

    async def script(call_: object) -> None:
        logging.getLogger("app").warning("raw client said %s", error)

    done = await converse(pipeline, script)
    logging.getLogger().removeHandler(handler)

    text = log_lines.getvalue()
    assert of_type(done.events, SessionEnded)
    # the event was masked where it was emitted (providers/redact.py), the log line again by the log filter
    assert (
        "openai error code=auth_failed: Incorrect API key provided: sk-[redacted]. Authorization: Bearer [redacted]"
        in text
    )
    assert "raw client said" in text
    assert FAKE_KEY not in text and "FAKEabcdef" not in text


def test_one_masker_hides_keys_and_keeps_the_rest() -> None:
    assert redact("xi-api-key: abcdef123456 failed") == "xi-api-key: [redacted] failed"
    assert redact("Token 0123456789abcdef rejected") == "Token [redacted] rejected"
    assert redact("GET /ws?token=abc&x=1 101") == "GET /ws?token=[redacted]&x=1 101"
    assert redact("password=hunter2 and secret: s3cr3t") == "password=[redacted] and secret: [redacted]"
    assert redact("status 401 for model nova-3") == "status 401 for model nova-3"
    assert redact("Incorrect API key provided; token expired") == "Incorrect API key provided; token expired"
    assert redact("short key abcdef in text", ["abcdef"]) == "short key [redacted] in text"


async def test_every_record_of_a_busy_call_has_the_session_id(log_lines: io.StringIO) -> None:
    done = await run_weather_call([])
    lines = records(log_lines)
    assert len(lines) >= 4
    assert {r["session_id"] for r in lines} == {done.session.id}
    turns = {r["turn_id"] for r in lines if r["turn_id"] is not None}
    assert turns == {1, 2}


def test_bad_level_and_format_are_named() -> None:
    with pytest.raises(ValueError, match="log level"):
        configure_logging("loud")
    with pytest.raises(ValueError, match="log format"):
        configure_logging("info", "xml")
