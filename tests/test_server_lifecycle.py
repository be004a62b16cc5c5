"""The server's drain state machine on its own (virtual time): a SIGTERM that comes while a worker is still
starting must not be lost, or the worker would serve on after its siblings stopped and the server never exit."""

from __future__ import annotations

import anyio
import pytest

from pipeline.server.lifecycle import ServerLifecycle, ServerPhase

pytestmark = pytest.mark.anyio


async def test_a_drain_requested_before_the_lifecycle_runs_is_kept_and_drains_at_once() -> None:
    lifecycle = ServerLifecycle(max_sessions=5, drain_deadline=20.0)
    stopped: list[bool] = []
    lifecycle.on_stopped = lambda: stopped.append(True)
    lifecycle.request_drain()  # the signal handler ran before the app's lifespan started the watcher
    with anyio.fail_after(1):  # virtual time: no calls, so the drain is immediate
        await lifecycle.run()
    assert lifecycle.phase is ServerPhase.STOPPED and stopped == [True]


async def test_a_drain_waits_for_the_call_in_progress() -> None:
    lifecycle = ServerLifecycle(max_sessions=5, drain_deadline=20.0)
    async with anyio.create_task_group() as group:
        group.start_soon(lifecycle.run)
        await anyio.sleep(0)
        _, call_id = lifecycle.admit(lambda: None)
        lifecycle.request_drain()
        await anyio.sleep(5)
        assert lifecycle.phase is ServerPhase.DRAINING  # the call goes on
        lifecycle.release(call_id)
        await anyio.sleep(0.1)
        assert lifecycle.phase is ServerPhase.STOPPED
