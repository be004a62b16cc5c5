"""Finding the Silero ONNX file without importing the ``silero_vad`` package (its __init__ imports torch)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from vad.errors import VadModelError

PACKAGE = "silero_vad"
MODEL_FILE = "silero_vad.onnx"
_FIX = (
    "install the `silero-vad` wheel (it ships data/silero_vad.onnx) or set `vad.model_path` to the ONNX file"
)


def packaged_model_candidates(file_name: str = MODEL_FILE) -> list[Path]:
    """Where the installed ``silero-vad`` wheel would keep ``file_name`` (empty if the wheel is absent)."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    return [Path(location) / "data" / file_name for location in spec.submodule_search_locations]


def resolve_model_path(model_path: str | Path | None = None) -> Path:
    """The model file to load: ``model_path`` if given, else the one inside the ``silero-vad`` wheel.

    Raises VadModelError naming every place looked at and how to fix it.
    """
    if model_path is not None:
        path = Path(model_path).expanduser()
        if path.is_file():
            return path.resolve()
        raise VadModelError(f"Silero VAD model not found at vad.model_path={str(path)!r}; {_FIX}")
    candidates = packaged_model_candidates()
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    if not candidates:
        where = f"the `{PACKAGE}` package is not installed (importlib.util.find_spec({PACKAGE!r}) is None)"
    else:
        where = "looked for " + ", ".join(repr(str(c)) for c in candidates)
    raise VadModelError(f"Silero VAD model {MODEL_FILE!r} not found: {where}; {_FIX}")
