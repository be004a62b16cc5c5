"""Tests run on anyio; by default on trio with a virtual clock (time moves only when every task waits), so whole
conversations run instantly and their timings are exact. Tests marked ``vendor_sdk`` drive real vendor SDKs
(asyncio-only) against loopback fakes: they run on asyncio, with no vendor key or URL from the developer's shell."""

from __future__ import annotations

import pytest
from trio.testing import MockClock

VENDOR_ENVIRONMENT = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "DEEPGRAM_API_KEY",
    "ELEVENLABS_API_KEY",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "vendor_sdk: a real vendor SDK against a loopback fake (asyncio)")
    config.addinivalue_line(
        "markers",
        "slow: runs in real time or installs the built wheel; part of the default run (`-m 'not slow'` skips it)",
    )


@pytest.fixture
def anyio_backend(request: pytest.FixtureRequest) -> str | tuple[str, dict[str, object]]:
    if request.node.get_closest_marker("vendor_sdk"):
        return "asyncio"
    return ("trio", {"clock": MockClock(autojump_threshold=0)})


@pytest.fixture(autouse=True)
def no_vendor_environment(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("vendor_sdk"):
        for name in VENDOR_ENVIRONMENT:
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def calls_db_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`run` records every call: in tests, into a temporary store, never the checkout's runs/calls.db."""
    monkeypatch.setenv("PARLEY_CALLS_DB", str(tmp_path_factory.getbasetemp() / "calls.db"))
