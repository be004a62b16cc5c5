"""Tests run on anyio; by default on trio with a virtual clock (time moves only when every task waits), so whole
conversations run instantly and their timings are exact. Tests that drive real vendor SDKs (asyncio-only) define
their own ``anyio_backend`` fixture returning "asyncio"."""

from __future__ import annotations

import pytest
from trio.testing import MockClock


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, object]]:
    return ("trio", {"clock": MockClock(autojump_threshold=0)})
