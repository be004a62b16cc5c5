"""The offline default never opens a non-loopback socket: a real-time call with the shipped ``local`` config, long
enough for onnxruntime's telemetry (which, when enabled, resolves a Microsoft host about 10 s in), run

- under an audit-hook socket guard (tests/offline_guard/sitecustomize.py: Python-level connect, send and DNS),
  inside a network namespace with no network (``unshare -rn``) where the machine allows it;
- under strace, which also sees native code (onnxruntime is C++), where strace works.

Plus a fast check that onnxruntime is only ever imported through the helper that disables its telemetry.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.base.audio import wav_bytes
from tests.speech_audio import speak

ROOT = Path(__file__).resolve().parents[1]
GUARD = Path(__file__).resolve().parent / "offline_guard"
CALL_SECONDS = 13.0  # past the ~10 s at which onnxruntime's telemetry would look up its host
RATE = 16000


@pytest.fixture(scope="module")
def caller_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    voice = speak("What is the weather like in Paris today?", RATE, rate_wpm=150)
    lead = np.zeros(int(0.5 * RATE), dtype=np.int16)
    tail = np.zeros(int(CALL_SECONDS * RATE) - lead.size - voice.size, dtype=np.int16)
    path = tmp_path_factory.mktemp("offline") / "caller.wav"
    path.write_bytes(wav_bytes(np.concatenate([lead, voice, tail]), RATE))
    return path


def call_command(caller_wav: Path, out_dir: Path) -> list[str]:
    return [
        str(Path(sys.executable).parent / "parley"),  # the console script uv sync installs
        "run",
        "--config",
        "local",
        "--input",
        str(caller_wav),
        "--out",
        str(out_dir),
    ]


def child_environment(guard_log: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("ORT_DISABLE_TELEMETRY", "PYTHONPATH")}
    environment["PYTHONPATH"] = os.pathsep.join([str(GUARD), str(ROOT)])
    environment["PARLEY_NETWORK_GUARD_LOG"] = str(guard_log)
    return environment


def works(command: list[str]) -> str | None:
    """None if ``command`` runs here, else why not."""
    if shutil.which(command[0]) is None:
        return f"{command[0]} is not installed"
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{' '.join(command)}: {exc}"
    if done.returncode != 0:
        return f"{' '.join(command)} fails here: {done.stderr.strip()[:200]}"
    return None


def assert_the_call_ran(done: subprocess.CompletedProcess[str], out_dir: Path) -> None:
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Let me check the weather." in done.stdout, done.stdout
    assert (out_dir / "call.wav").is_file() and (out_dir / "events.jsonl").is_file()


@pytest.mark.slow
def test_real_time_offline_call_under_the_socket_guard_without_network(
    caller_wav: Path, tmp_path: Path
) -> None:
    guard_log = tmp_path / "guard.log"
    command = call_command(caller_wav, tmp_path / "run")
    no_network = works(["unshare", "-rn", "true"])
    if no_network is None:
        command = ["unshare", "-rn", *command]
    else:
        print(f"not in a network namespace ({no_network}); the socket guard alone")
    done = subprocess.run(
        command, cwd=tmp_path, env=child_environment(guard_log), capture_output=True, text=True, timeout=120
    )
    refused = guard_log.read_text() if guard_log.exists() else ""
    assert refused == "", refused
    assert_the_call_ran(done, tmp_path / "run")


NETWORK_CALL = re.compile(r"\b(connect|sendto|sendmsg)\(.*(AF_INET6?)")
ADDRESS = re.compile(r'inet_addr\("([0-9.]+)"\)|inet_pton\(AF_INET6, "([0-9a-fA-F:.]+)"')


def non_loopback_calls(trace: str) -> list[str]:
    found = []
    for line in trace.splitlines():
        if not NETWORK_CALL.search(line):
            continue
        addresses = [a or b for a, b in ADDRESS.findall(line)]
        if not addresses or any(not (a.startswith("127.") or a == "::1") for a in addresses):
            found.append(line.strip())
    return found


def test_the_strace_reader_flags_a_dns_lookup_and_passes_loopback() -> None:
    dns = (
        '123 connect(7, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0'
    )
    loopback = (
        '124 connect(9, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("127.0.0.1")}, 16) = 0'
    )
    unix = '125 connect(7, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT'
    assert non_loopback_calls("\n".join([dns, loopback, unix])) == [dns]


@pytest.mark.slow
def test_real_time_offline_call_makes_no_native_network_call(caller_wav: Path, tmp_path: Path) -> None:
    unavailable = works(["strace", "-f", "-qq", "-e", "trace=connect", "true"])
    if unavailable is not None:
        pytest.skip(f"strace cannot trace here: {unavailable}")
    trace = tmp_path / "network.trace"
    out_dir = tmp_path / "run"
    command = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace)]
    done = subprocess.run(
        [*command, *call_command(caller_wav, out_dir)],
        cwd=tmp_path,
        env=child_environment(tmp_path / "guard.log"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert non_loopback_calls(trace.read_text()) == []
    assert_the_call_ran(done, out_dir)


def test_onnxruntime_is_imported_only_through_the_telemetry_off_helper() -> None:
    importers = []
    for package in ("pipeline", "providers", "vad", "turn"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                if any(name.split(".")[0] == "onnxruntime" for name in names):
                    importers.append(str(path.relative_to(ROOT)))
    assert importers == ["pipeline/base/onnx_runtime.py"]


def test_loading_the_vad_turns_onnxruntime_telemetry_off_before_it_loads() -> None:
    probe = (
        "import os, sys\n"
        "import vad.silero_model\n"
        "import turn.eot.smart_turn\n"
        "assert 'onnxruntime' in sys.modules\n"
        "print(os.environ['ORT_DISABLE_TELEMETRY'])\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=environment, capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
    environment["ORT_DISABLE_TELEMETRY"] = "0"  # the user's own choice is kept
    done = subprocess.run(
        [sys.executable, "-c", probe], env=environment, capture_output=True, text=True, cwd=ROOT
    )
    assert done.stdout.strip() == "0"
