"""A plain ``pip install parley`` has neither the ``phone`` extra (twilio, plivo, telnyx, pynacl) nor the
``postgres`` extra (asyncpg). Each check runs a child Python with tests/extras_guard on its path, which makes those
packages look uninstalled, and the same child without the guard as the control (the dev group installs them):
the server starts without the telephony routes and says so once, ``parley dial`` and a ``postgresql://`` store
name the extra to install, and so does the public API's ``pipeline.PhoneCall``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUARD = Path(__file__).resolve().parent / "extras_guard"
LOCAL_CONFIG = ROOT / "configs" / "local.yaml"
pytestmark = pytest.mark.timeout(300)


def run_python(tmp_path: Path, *args: str, without_extras: bool) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_") and k != "PYTHONPATH"}
    environment["PYTHONPATH"] = os.pathsep.join([str(GUARD), str(ROOT)] if without_extras else [str(ROOT)])
    environment["PARLEY_CALLS_DB"] = str(tmp_path / "calls.db")
    return subprocess.run(
        [sys.executable, *args], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=240
    )


SDK_IMPORTS = """
import importlib
for name in ("twilio", "plivo", "telnyx", "nacl", "asyncpg", "telnyx.lib.webhook_verification"):
    try:
        importlib.import_module(name)
        print(name, "importable")
    except ModuleNotFoundError:
        print(name, "missing")
"""


def test_the_guard_hides_the_extras_packages_and_only_them(tmp_path: Path) -> None:
    hidden = run_python(tmp_path, "-c", SDK_IMPORTS + "import starlette, numpy", without_extras=True)
    assert hidden.returncode == 0, hidden.stderr
    assert hidden.stdout.split().count("missing") == 6 and "importable" not in hidden.stdout
    present = run_python(tmp_path, "-c", SDK_IMPORTS, without_extras=False)
    assert present.stdout.split().count("importable") == 6, present.stdout


SERVER = f"""
from starlette.testclient import TestClient
from pipeline.server.options import ServeOptions
from pipeline.server.run import build_app

app = build_app(ServeOptions(config={str(LOCAL_CONFIG)!r}, token="t"))
with TestClient(app) as client:
    print("healthz", client.get("/healthz").status_code)
    for platform in ("twilio", "plivo", "telnyx"):
        answer = client.post("/" + platform)
        print(platform, answer.status_code, "names-extra" if "parley[phone]" in answer.text else "-")
    print("twilio/amd", client.post("/twilio/amd").status_code, "-")
"""


def statuses(output: str) -> dict[str, int]:
    return {line.split()[0]: int(line.split()[1]) for line in output.splitlines() if line.strip()}


def test_the_server_starts_without_the_phone_extra_and_says_the_phone_routes_are_off(tmp_path: Path) -> None:
    done = run_python(tmp_path, "-c", SERVER, without_extras=True)
    assert done.returncode == 0, done.stderr[-3000:]
    off = {"twilio": 404, "plivo": 404, "telnyx": 404, "twilio/amd": 404}
    assert statuses(done.stdout) == {"healthz": 200, **off}
    assert done.stdout.count("names-extra") == 3  # the platform's webhook log says what to install
    said = [line for line in done.stderr.splitlines() if "/twilio" in line]
    assert len(said) == 1, done.stderr
    assert "/plivo" in said[0] and "/telnyx" in said[0] and "pip install 'parley[phone]'" in said[0]


def test_with_the_phone_extra_the_server_serves_the_phone_routes(tmp_path: Path) -> None:
    done = run_python(tmp_path, "-c", SERVER, without_extras=False)
    assert done.returncode == 0, done.stderr[-3000:]
    served = statuses(done.stdout)
    assert served["healthz"] == 200
    # unsigned webhooks: refused, not missing
    assert 404 not in (served["twilio"], served["plivo"], served["telnyx"])
    assert "parley[phone]" not in done.stderr


DIAL = ("-m", "pipeline", "dial", "+15551230000", "--from", "+15551230001", "--config", str(LOCAL_CONFIG))


def test_dial_without_the_phone_extra_names_it(tmp_path: Path) -> None:
    done = run_python(tmp_path, *DIAL, "--public-url", "https://voice.example.com", without_extras=True)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "pip install 'parley[phone]'" in done.stderr and "Traceback" not in done.stderr


def test_dial_with_the_phone_extra_gets_past_the_imports(tmp_path: Path) -> None:
    done = run_python(tmp_path, *DIAL, without_extras=False)  # no --public-url: the next check refuses
    assert done.returncode == 2
    assert "dial needs --public-url" in done.stderr and "parley[phone]" not in done.stderr


POSTGRES = """
from pipeline.records.connect import open_store
from pipeline.records.store import CallStoreError
try:
    store = open_store("postgresql://parley@127.0.0.1:9/calls")
except CallStoreError as exc:
    print("refused:", exc)
else:
    print("opened:", type(store).__name__)
"""


def test_a_postgresql_store_without_the_postgres_extra_names_it(tmp_path: Path) -> None:
    done = run_python(tmp_path, "-c", POSTGRES, without_extras=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("refused:") and "pip install 'parley[postgres]'" in done.stdout


def test_a_postgresql_store_with_the_postgres_extra_opens_lazily(tmp_path: Path) -> None:
    done = run_python(tmp_path, "-c", POSTGRES, without_extras=False)
    assert done.stdout.strip() == "opened: PostgresCallStore", done.stderr[-3000:]


def test_the_calls_command_with_a_postgresql_url_names_the_extra(tmp_path: Path) -> None:
    done = run_python(
        tmp_path, "-m", "pipeline", "calls", "list", "--db", "postgresql://parley@127.0.0.1:9/calls",
        without_extras=True,
    )  # fmt: skip
    assert done.returncode == 2 and "pip install 'parley[postgres]'" in done.stderr, done.stderr[-3000:]


PUBLIC_API = """
import pipeline
from pipeline import AudioFrame, Pipeline, PhoneFeatures, CallRecords, open_store
for name in ("PhoneCall", "TelephonyRoutes", "TelephonySettings"):
    try:
        getattr(pipeline, name)
    except ImportError as exc:
        print(name, type(exc).__name__, "|", exc)
    else:
        print(name, "ok")
"""


def test_the_public_api_names_the_phone_extra_for_the_telephony_names(tmp_path: Path) -> None:
    done = run_python(tmp_path, "-c", PUBLIC_API, without_extras=True)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 3
    for line in lines:
        assert "MissingExtraError" in line and "pip install 'parley[phone]'" in line, line
        assert "No module named" not in line


def test_the_public_api_telephony_names_import_with_the_phone_extra(tmp_path: Path) -> None:
    done = run_python(tmp_path, "-c", PUBLIC_API, without_extras=False)
    assert done.stdout.split() == ["PhoneCall", "ok", "TelephonyRoutes", "ok", "TelephonySettings", "ok"], (
        done.stderr[-3000:]
    )
