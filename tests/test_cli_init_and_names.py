"""Shipped configs by name, ``parley init``'s starter project, and the ``parley`` command table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import Pipeline, load_config
from pipeline.cli.main import build_parser, main
from pipeline.cli.starter import CONFIG_FILE, TOOLS_MODULE, write_starter_project
from pipeline.session.named_configs import CONFIG_DIR, packaged_config_names

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_configs_live_in_the_package_and_the_checkout_folder_points_there() -> None:
    assert CONFIG_DIR == ROOT / "pipeline" / "configs"
    assert packaged_config_names() == ["cloud", "local", "openai-compatible", "smollm2"]
    assert (ROOT / "configs").resolve() == CONFIG_DIR  # one copy of each YAML file


@pytest.mark.parametrize("name", ["local", "openai-compatible"])
def test_a_shipped_config_loads_by_name_from_any_folder(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    loaded = load_config(name)
    assert loaded.source == str(CONFIG_DIR / f"{name}.yaml")


def test_cloud_by_name_asks_for_the_keys_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("DEEPGRAM_API_KEY", "OPENAI_API_KEY", "ELEVENLABS_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(Exception, match="DEEPGRAM_API_KEY is not set"):
        load_config("cloud")


def test_a_file_in_the_working_folder_wins_over_a_shipped_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "local").write_text((CONFIG_DIR / "local.yaml").read_text().replace("medium", "low", 1))
    assert load_config("local").config.turn.eagerness == "low"


def test_an_unknown_name_lists_the_shipped_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", "no-such-config"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "error: no-such-config: no such file (shipped configs, loadable by name: cloud, local, openai-compatible, smollm2)"
    )


def test_run_and_check_config_default_to_the_shipped_local(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config"]) == 0
    assert capsys.readouterr().out.startswith(f"{CONFIG_DIR / 'local.yaml'}: ok")
    assert build_parser().parse_args(["run"]).config == "local"


def test_pipeline_from_config_by_name_builds() -> None:
    pipeline = Pipeline.from_config("local")
    assert "get_weather" in pipeline.tools and "lookup_order" in pipeline.tools


def test_the_command_table_has_run_check_config_init_and_bench() -> None:
    help_text = build_parser().format_help()
    for command in ("run", "check-config", "init", "bench"):
        assert command in help_text


def test_init_writes_a_starter_project_that_checks_and_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "my-agent"
    assert main(["init", str(project)]) == 0
    assert sorted(p.name for p in project.iterdir()) == sorted(
        [CONFIG_FILE, f"{TOOLS_MODULE}.py", "README.md"]
    )
    assert "parley run --config agent.yaml" in (project / "README.md").read_text()
    monkeypatch.chdir(project)
    monkeypatch.syspath_prepend(str(project))
    capsys.readouterr()
    assert main(["check-config", CONFIG_FILE]) == 0
    assert "tools: get_weather" in capsys.readouterr().out
    assert main(["run", "--config", CONFIG_FILE, "--fast", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "It is 18 degrees in Paris." in out or "Let me check the weather." in out
    assert (tmp_path / "out" / "call.wav").is_file()
    sys.modules.pop(TOOLS_MODULE, None)


def test_init_refuses_a_folder_with_anything_in_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["init", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {tmp_path}: not empty; `parley init` only writes into an empty or new folder"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_init_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    with pytest.raises(Exception, match="exists and is not a folder"):
        write_starter_project(target)


def test_the_parley_script_finds_tools_next_to_where_it_runs(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "parley"
    assert script.is_file(), "the [project.scripts] entry is installed by uv sync"
    write_starter_project(tmp_path)
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(
        [str(script), "check-config", CONFIG_FILE],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "tools: get_weather" in done.stdout


def test_python_dash_m_pipeline_still_works(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "check-config", "local"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "stt: local (" in done.stdout  # whisper-local or pocketsphinx: whichever is installed
