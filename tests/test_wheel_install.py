"""The package as a user gets it: build the wheel and sdist, ``pip install`` the wheel into a fresh virtual
environment in a temporary folder, and use it from a folder that is not the checkout.

Slow (pip downloads the dependencies once, then uses its cache); part of the default run and of .ci/run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@dataclass(frozen=True)
class Installed:
    wheel: Path
    sdist: Path
    venv: Path
    workdir: Path  # an empty folder outside the checkout

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name

    def environment(self) -> dict[str, str]:
        drop = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT"}
        environment = {k: v for k, v in os.environ.items() if k not in drop}
        environment["PATH"] = os.pathsep.join([str(self.venv / "bin"), environment.get("PATH", "")])
        return environment

    def run(self, *command: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(part) for part in command],
            cwd=self.workdir,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def checked(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, f"{done.args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    uv = shutil.which("uv")
    assert uv is not None, "building the wheel needs uv (pip install uv)"
    base = tmp_path_factory.mktemp("wheel-install")
    dist = base / "dist"
    checked(
        subprocess.run(
            [uv, "build", "--out-dir", str(dist), str(ROOT)],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=ROOT,
        )
    )
    (wheel,) = dist.glob("parley-*.whl")
    (sdist,) = dist.glob("parley-*.tar.gz")
    venv = base / "venv"
    checked(
        subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, timeout=300)
    )
    workdir = base / "my-project"
    workdir.mkdir()
    result = Installed(wheel, sdist, venv, workdir)
    checked(result.run(result.bin("python"), "-m", "pip", "install", "--quiet", wheel, timeout=1100))
    return result


def test_the_wheel_ships_the_runtime_and_its_data_and_nothing_else(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    for needed in (
        "pipeline/configs/local.yaml",
        "pipeline/configs/cloud.yaml",
        "pipeline/configs/openai-compatible.yaml",
        "vad/data/silero_vad.onnx",
        "vad/data/SILERO_VAD_LICENSE",
        "turn/eot/data/text_eot_weights.npz",
        "pipeline/demo/caller.py",
        "parley-0.1.0.dist-info/licenses/LICENSE",
        "parley-0.1.0.dist-info/licenses/THIRD_PARTY_NOTICES",
    ):
        assert needed in names
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"pipeline", "providers", "vad", "turn", "parley-0.1.0.dist-info"}
    entry_points = zipfile.ZipFile(installed.wheel).read("parley-0.1.0.dist-info/entry_points.txt").decode()
    assert "parley = pipeline.cli.entry:main" in entry_points


NO_TORCH = """
import importlib.metadata as metadata, re
names = {re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(): d for d in metadata.distributions()}
assert "parley" in names, sorted(names)
bad = sorted(n for n in names if n in ("torch", "silero-vad", "triton") or n.startswith("nvidia-"))
needing = sorted(n for n, d in names.items() for r in (d.requires or []) if re.match(r"torch\\b", r))
print("installed:", len(names), "torch-like:", bad, "requiring torch:", needing)
assert not bad and not needing
"""


def test_no_torch_nor_anything_requiring_it_is_installed(installed: Installed) -> None:
    done = checked(installed.run(installed.bin("python"), "-c", NO_TORCH))
    print(done.stdout.strip())


EXTRAS_LEFT_OUT = """
import importlib.metadata as metadata, re
names = {re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower() for d in metadata.distributions()}
extras = {"twilio", "plivo", "telnyx", "pynacl", "asyncpg"}  # parley[phone], parley[postgres]
print("installed from the extras:", sorted(names & extras))
assert "parley" in names and not names & extras
"""


def test_the_phone_and_postgres_extras_are_not_installed_by_default(installed: Installed) -> None:
    done = checked(installed.run(installed.bin("python"), "-c", EXTRAS_LEFT_OUT))
    print(done.stdout.strip())


def test_the_environment_is_small(installed: Installed) -> None:
    size = sum(
        path.stat().st_size for path in installed.venv.rglob("*") if path.is_file() and not path.is_symlink()
    )
    print(f"fresh pip environment with parley installed: {size / 1e6:.0f} MB")
    assert size < 1_000_000_000  # the torch + CUDA install this replaces was 5.4 GB


def test_parley_run_fast_works_outside_the_checkout(installed: Installed) -> None:
    done = checked(installed.run(installed.bin("parley"), "run", "--fast", "--out", "call", timeout=600))
    assert "transcript" in done.stdout and "voice-to-voice over" in done.stdout
    assert (installed.workdir / "call" / "call.wav").is_file()


def test_parley_check_config_local_and_the_other_shipped_configs(installed: Installed) -> None:
    done = checked(installed.run(installed.bin("parley"), "check-config", "local"))
    assert "site-packages" in done.stdout and "stt: local (pocketsphinx)" in done.stdout  # no neural extra
    checked(installed.run(installed.bin("parley"), "check-config", "openai-compatible"))


PUBLIC_API = """
import pipeline
from pipeline import AudioFrame, Pipeline, UserTranscript, load_config, tool
assert "site-packages" in pipeline.__file__, pipeline.__file__
PHONE = {"PhoneCall", "TelephonyRoutes", "TelephonySettings"}  # the phone extra's (not installed here)
missing = [name for name in pipeline.__all__ if name not in PHONE and not hasattr(pipeline, name)]
assert not missing, missing
for name in PHONE:
    try:
        getattr(pipeline, name)
    except ImportError as exc:
        assert "pip install 'parley[phone]'" in str(exc), exc
    else:
        raise AssertionError(name + " imported without the phone extra")
Pipeline.from_config("local")
print("public API:", len(pipeline.__all__), "names")
"""


def test_the_public_api_imports_from_the_installed_package(installed: Installed) -> None:
    checked(installed.run(installed.bin("python"), "-c", PUBLIC_API))


def test_init_and_bench_behave_outside_a_checkout(installed: Installed) -> None:
    checked(installed.run(installed.bin("parley"), "init", "starter"))
    assert (installed.workdir / "starter" / "agent.yaml").is_file()
    bench = installed.run(installed.bin("parley"), "bench")
    assert bench.returncode == 2
    assert "run `parley bench` from a checkout" in bench.stderr


def test_python_dash_m_pipeline_works_installed(installed: Installed) -> None:
    done = checked(installed.run(installed.bin("python"), "-m", "pipeline", "check-config", "local"))
    assert "ok" in done.stdout


def test_the_sdist_carries_the_sources_tests_and_licences(installed: Installed) -> None:
    import tarfile

    with tarfile.open(installed.sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "THIRD_PARTY_NOTICES", "pyproject.toml", "pipeline/configs/local.yaml"} <= names
    assert "vad/data/silero_vad.onnx" in names and "tests/test_wheel_install.py" in names


def test_dial_names_the_phone_extra_when_installed_without_it(installed: Installed) -> None:
    done = installed.run(
        installed.bin("parley"),
        "dial",
        "+15551230000",
        "--from",
        "+15551230001",
        "--public-url",
        "https://x.test",
    )
    assert done.returncode == 2, done.stderr[-3000:]
    assert "pip install 'parley[phone]'" in done.stderr and "Traceback" not in done.stderr
