"""The Silero model shipped in the ``vad`` package is exactly the one in the locked ``silero-vad`` wheel."""

from __future__ import annotations

import hashlib
from importlib.metadata import version
from pathlib import Path

from tests.silero_wheel import silero_wheel_file
from vad.model_path import PACKAGED_MODEL

LOCKFILE = Path(__file__).resolve().parents[1] / "uv.lock"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_shipped_model_equals_the_file_in_the_locked_silero_vad_wheel() -> None:
    assert sha256(PACKAGED_MODEL) == sha256(silero_wheel_file("silero_vad.onnx"))


def test_the_installed_silero_vad_is_the_locked_one() -> None:
    lock = LOCKFILE.read_text(encoding="utf-8")
    assert f'name = "silero-vad"\nversion = "{version("silero-vad")}"' in lock


def test_silero_licence_ships_next_to_the_model() -> None:
    licence = (PACKAGED_MODEL.parent / "SILERO_VAD_LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "Silero Team" in licence
