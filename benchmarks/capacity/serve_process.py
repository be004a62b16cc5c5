"""The real server for ``bench capacity --through serve``: ``python -m pipeline serve --workers N`` as a child
process on a loopback port, with a benchmark config whose providers are the simulated ones of the in-process
benchmark (``call.py``: the same latencies and scripts, selected from YAML as ``provider: simulated``).

Also what the benchmark reads from outside the server: the CPU time and resident memory of its process tree
(``/proc/<pid>/stat``, ``/proc/<pid>/statm``: the parent and its spawned workers) and its ``/metrics``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.capacity.call import (
    LLM_TOKEN_INTERVAL,
    LLM_TTFT,
    STT_FINAL_DELAY,
    TTS_SECONDS_PER_CHAR,
    TTS_TTFB,
)
from benchmarks.capacity.conversation import AGENT_REPLY, CALLER_LINES

READY_TIMEOUT = 180.0  # seconds for the workers to import, load Silero and take calls on a loaded machine
STOP_TIMEOUT = 20.0
QUIET_SECONDS = 1.0
_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class ServeBenchError(RuntimeError):
    """The server could not be started or measured (the message says why)."""


def benchmark_config(utterances: tuple[str, ...] = CALLER_LINES) -> str:
    """The YAML of the benchmark's pipeline (JSON is YAML): batched Silero, simulated providers."""
    config = {
        "vad": {"kind": "silero", "batched": True},
        "drain_timeout": 0.0,  # hanging up stops the agent at once, as in the in-process benchmark
        "stt": {"provider": "simulated", "utterances": list(utterances), "final_delay": STT_FINAL_DELAY},
        "llm": {
            "provider": "simulated",
            "replies": [AGENT_REPLY],
            "ttft": LLM_TTFT,
            "token_interval": LLM_TOKEN_INTERVAL,
        },
        "tts": {"provider": "simulated", "ttfb": TTS_TTFB, "seconds_per_char": TTS_SECONDS_PER_CHAR},
    }
    return json.dumps(config, indent=2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class TreeSample:
    """CPU seconds (user + system, all threads) and resident bytes summed over a process tree."""

    pids: tuple[int, ...]
    cpu_seconds: float
    rss_bytes: int
    cpu_by_pid: dict[int, float]

    def cpu_percent_by_process(self, before: TreeSample, wall: float) -> list[float]:
        """% of a core of each process since ``before``, in tree order (the parent first, then its workers)."""
        return [100 * (cpu - before.cpu_by_pid.get(pid, 0.0)) / wall for pid, cpu in self.cpu_by_pid.items()]


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants (Linux ``/proc/<pid>/task/<tid>/children``)."""
    pids, index = [root], 0
    while index < len(pids):
        task_dir = Path(f"/proc/{pids[index]}/task")
        for task in task_dir.iterdir() if task_dir.is_dir() else ():
            try:
                pids.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:
                continue
        index += 1
    return pids


def sample_tree(root: int) -> TreeSample:
    """The tree's CPU time and RSS now; a ``ServeBenchError`` if ``root`` does not exist."""
    if not Path(f"/proc/{root}").is_dir():
        raise ServeBenchError(f"no server process {root}: is `parley serve` running?")
    rss, by_pid = 0, {}
    for pid in process_tree(root):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            statm = Path(f"/proc/{pid}/statm").read_text()
        except OSError:
            continue  # exited meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "; utime, stime are fields 14, 15
        by_pid[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
        rss += int(statm.split()[1]) * _PAGE_SIZE
    return TreeSample(tuple(by_pid), sum(by_pid.values()), rss, by_pid)


@dataclass(frozen=True)
class ServerMetrics:
    """From ``/metrics`` (all workers summed): the event-loop lag histogram and the dropped-frame counter."""

    lag_buckets: dict[float, float]  # upper bound (s) -> cumulative count
    frames_dropped: float

    def since(self, before: ServerMetrics) -> ServerMetrics:
        return ServerMetrics(
            {le: count - before.lag_buckets.get(le, 0.0) for le, count in self.lag_buckets.items()},
            self.frames_dropped - before.frames_dropped,
        )

    def lag_quantile_bound(self, quantile: float) -> float:
        """The smallest bucket bound holding ``quantile`` of the observations (inf: above the last bound)."""
        total = self.lag_buckets.get(float("inf"), 0.0)
        if total <= 0:
            return 0.0
        for le in sorted(self.lag_buckets):
            if self.lag_buckets[le] >= quantile * total:
                return le
        return float("inf")


def scrape_metrics(port: int) -> ServerMetrics:
    try:
        reply = httpx.get(f"http://127.0.0.1:{port}/metrics/", timeout=10.0)
    except httpx.HTTPError as error:
        raise ServeBenchError(
            f"cannot read http://127.0.0.1:{port}/metrics/ (is `parley serve` running?): {error}"
        ) from None
    if reply.status_code != 200:
        raise ServeBenchError(f"http://127.0.0.1:{port}/metrics/ answered {reply.status_code}")
    text = reply.text
    buckets: dict[float, float] = {}
    dropped = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "parley_event_loop_lag_seconds_bucket":
                le = float(sample.labels["le"])
                buckets[le] = buckets.get(le, 0.0) + sample.value
            elif sample.name == "parley_frames_dropped_total":
                dropped += sample.value
    return ServerMetrics(buckets, dropped)


class ServerProcess:
    """``python -m pipeline serve --workers N`` on 127.0.0.1 with the benchmark config, until ``stop()``."""

    def __init__(self, workers: int, max_sessions: int, gc: str = "tuned") -> None:
        self.workers = workers
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="parley-serve-bench-")
        self._log_path = Path(self._dir.name) / "server.log"
        config = Path(self._dir.name) / "bench.yaml"
        config.write_text(benchmark_config())
        per_worker = max_sessions // workers + 50
        self.command = [sys.executable, "-m", "pipeline", "serve", "--workers", str(workers),
                        "--host", "127.0.0.1", "--port", str(self.port), "--config", str(config),
                        "--max-sessions", str(per_worker), "--idle-timeout", "60",
                        "--drain-deadline", "5", "--gc", gc]  # fmt: skip
        env = {key: value for key, value in os.environ.items() if key != "PARLEY_TOKEN"}
        env.update(PARLEY_CALLS_DB=str(Path(self._dir.name) / "calls.db"), PARLEY_LOG_LEVEL="warning")
        self._log = self._log_path.open("wb")
        self._process = subprocess.Popen(self.command, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self._process.pid

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Poll ``/readyz`` until every worker answers (a ``ServeBenchError`` if the server exits first)."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as http:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    raise ServeBenchError(
                        f"parley serve exited with code {self._process.returncode} before it was ready:\n"
                        + self.output_tail()
                    )
                try:
                    if http.get(f"http://127.0.0.1:{self.port}/readyz").status_code == 200:
                        self._wait_quiet(deadline)
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        raise ServeBenchError(f"parley serve not ready within {timeout:.0f} s:\n{self.output_tail()}")

    def _wait_quiet(self, deadline: float) -> None:
        """One worker answering does not mean all have loaded: wait until the tree uses < 20 % of a core."""
        before = sample_tree(self.pid)
        while time.monotonic() < deadline:
            time.sleep(QUIET_SECONDS)
            after = sample_tree(self.pid)
            if (
                len(after.pids) > self.workers
                and after.cpu_seconds - before.cpu_seconds < 0.2 * QUIET_SECONDS
            ):
                return
            before = after

    def output_tail(self, lines: int = 15) -> str:
        self._log.flush()
        return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)  # drains (deadline 5 s), a second one exits at once
            try:
                self._process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()
        self._dir.cleanup()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
