"""Files of the ``silero-vad`` wheel installed in the dev environment (the source of truth for the model Parley
ships), found without importing ``silero_vad`` (its __init__ imports torch, which is never installed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def silero_wheel_file(name: str = "silero_vad.onnx") -> Path:
    spec = importlib.util.find_spec("silero_vad")
    assert spec is not None and spec.submodule_search_locations, (
        "the silero-vad wheel is missing from the dev environment (uv sync)"
    )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / name
    assert path.is_file(), f"{path} is not in the silero-vad wheel"
    return path
