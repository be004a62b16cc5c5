"""`parley serve` options: configs by name (as `run` takes them), and the worker's garbage collector."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipeline.cli.main import main

GC_PROBE = """
import gc, sys
from pipeline.server.gc_tuning import GcMode, configure_gc
configure_gc(GcMode(sys.argv[1]))
print(gc.get_threshold(), gc.get_freeze_count() > 0)
"""


def gc_after(mode: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", GC_PROBE, mode], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def test_a_tuned_worker_freezes_its_start_up_objects_and_collects_the_young_less_often() -> None:
    assert gc_after("tuned") == "(10000, 20, 20) True"
    assert gc_after("default") == "(700, 10, 10) False"


def test_serve_with_an_unknown_config_name_lists_the_shipped_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--config", "no-such-config"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(
        "error: no-such-config: no such config (shipped configs, loadable by name: cloud, local"
    )


def test_serve_rejects_an_unknown_gc_mode(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--gc", "off"])
    assert exit_.value.code == 2 and "--gc: invalid choice: 'off'" in capsys.readouterr().err
