"""Hardening (issue 18): no credential leaves the process in a message or event, and every tool result can be
sent to the model (items 6 and 8, and the 20 MB tool result)."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.base.compute import inline_compute
from pipeline.observe.bus import EventBus
from pipeline.observe.events import ErrorEvent
from pipeline.stages.tools import ToolStatus, make_tool
from providers.llm import ToolCall
from providers.openai.connection import OpenAIConnectionOptions
from providers.redact import redact

pytestmark = pytest.mark.anyio


def test_a_proxy_password_in_base_url_is_never_in_messages() -> None:
    options = OpenAIConnectionOptions(api_key="sk-test", base_url="http://user:hunter2pw@proxy.local:8080/v1")
    assert "hunter2pw" not in options.server
    assert "proxy.local:8080" in options.server


def test_credentials_in_urls_and_partial_key_echoes_are_masked() -> None:
    key = "xi-0123456789abcdefghij"
    text = f"failed on https://bob:secretpw@api.example.com/x; key ...6789abcdefghij was rejected ({key})"
    clean = redact(text, [key])
    assert "secretpw" not in clean
    assert "6789abcdefghij" not in clean
    assert "api.example.com/x" in clean


def test_error_events_are_redacted() -> None:
    bus = EventBus("s")
    event = bus.emit(
        ErrorEvent, source="llm", code="x", message="cannot reach http://u:pw1234567@h/v1", recoverable=True
    )
    assert event is not None and "pw1234567" not in event.message


def _call(name: str) -> ToolCall:
    return ToolCall("c1", name, "{}")


class Opaque:
    pass


def circular() -> dict[str, Any]:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    return loop


@pytest.mark.parametrize("value", [Opaque(), circular()], ids=["object", "circular"])
async def test_a_result_json_cannot_hold_is_a_tool_error_not_a_failed_reply(value: object) -> None:
    def lookup() -> object:
        """Look something up."""
        return value

    with inline_compute():
        result = await make_tool(lookup).invoke(_call("lookup"))
    assert result.status is ToolStatus.ERROR
    assert "JSON" in result.content


async def test_a_huge_result_is_truncated_with_a_note() -> None:
    def dump() -> str:
        """Dump everything."""
        return "x" * 20_000_000

    with inline_compute():
        result = await make_tool(dump).invoke(_call("dump"))
    assert result.status is ToolStatus.OK
    assert len(result.content) < 16_200
    assert "truncated" in result.content


async def test_tool_exception_text_is_redacted() -> None:
    def fetch() -> str:
        """Fetch."""
        raise RuntimeError("GET https://admin:topsecret99@db.internal/rows failed")

    with inline_compute():
        result = await make_tool(fetch).invoke(_call("fetch"))
    assert result.status is ToolStatus.ERROR
    assert "topsecret99" not in result.content and "db.internal" in result.content
