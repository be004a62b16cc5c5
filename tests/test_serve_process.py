"""``python -m pipeline serve`` as a process (the offline config, 2 pre-forked workers): SIGTERM drains — no
new calls, /readyz 503, the call in progress goes on to its end — and the process then exits by itself."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import anyio
import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_sigterm_drains_the_workers_and_the_process_exits_after_the_last_call() -> None:
    port = free_port()
    env = {**os.environ, "PARLEY_TOKEN": "process-token"}
    command = [sys.executable, "-m", "pipeline", "serve", "--port", str(port), "--workers", "2",
               "--drain-deadline", "20", "--config", str(ROOT / "configs/local.yaml")]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        async with httpx.AsyncClient() as http:
            await wait_until_ready(http, port)
            url = f"ws://127.0.0.1:{port}/ws?token=process-token"
            async with connect(url) as call:
                await call.send(json.dumps({"type": "start", "sample_rate": 16000, "encoding": "pcm16"}))
                assert json.loads(await call.recv())["type"] == "ready"
                server.send_signal(signal.SIGTERM)
                with anyio.fail_after(30):  # both workers stop taking calls
                    while True:
                        replies = [await http.get(f"http://127.0.0.1:{port}/readyz") for _ in range(6)]
                        if all(reply.status_code == 503 for reply in replies):
                            break
                        await anyio.sleep(0.1)
                assert server.poll() is None  # still serving the call in progress
                await call.send(b"\0" * 640)  # the call goes on
                await call.send(json.dumps({"type": "end"}))
                with anyio.fail_after(60):  # `end` lets the greeting finish
                    try:
                        async for _ in call:
                            pass
                    except ConnectionClosed:
                        pass
                assert call.close_code == 1000
        with anyio.fail_after(30):
            while server.poll() is None:
                await anyio.sleep(0.1)
        output = server.stdout.read().decode() if server.stdout else ""
        assert server.returncode == 0, output
        assert "process-token" not in output  # the secret is never logged
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc; Linux)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def wait_until_ready(http: httpx.AsyncClient, port: int) -> None:
    with anyio.fail_after(180):  # two workers load their models on a loaded machine
        while True:
            try:
                if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            await anyio.sleep(0.2)  # also while it answers 503 (starting)


async def test_workers_drain_and_exit_when_the_parent_is_killed() -> None:
    port = free_port()
    command = [sys.executable, "-m", "pipeline", "serve", "--port", str(port), "--workers", "2",
               "--config", str(ROOT / "configs/local.yaml")]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        async with httpx.AsyncClient() as http:
            await wait_until_ready(http, port)
        workers = [
            pid for pid in children_of(server.pid) if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()
        ]
        assert len(workers) == 2
        server.kill()  # no signal forwarded: the workers are orphans now
        server.wait()
        with anyio.fail_after(60):  # a hang guard; they notice within a second, then drain (no calls)
            while any(alive(pid) for pid in workers):
                await anyio.sleep(0.2)
    finally:
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if server.poll() is None:
            server.kill()
            server.wait()
