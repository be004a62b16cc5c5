"""Finding the Silero ONNX model: ``vad.model_path`` when set, else the copy shipped inside this package.

``vad/data/silero_vad.onnx`` is byte-for-byte the ``silero_vad.onnx`` of the ``silero-vad`` wheel (MIT, licence in
``vad/data/SILERO_VAD_LICENSE``; a test checks the sha256 against the wheel locked in the dev group). The wheel
itself is not a runtime dependency: it requires torch, which Parley never installs.
"""

from __future__ import annotations

from pathlib import Path

from vad.errors import VadModelError

MODEL_FILE = "silero_vad.onnx"
PACKAGED_MODEL = Path(__file__).resolve().parent / "data" / MODEL_FILE
_FIX = "reinstall Parley (the model ships in the `vad` package) or set `vad.model_path` to a Silero ONNX file"


def resolve_model_path(model_path: str | Path | None = None) -> Path:
    """The model file to load: ``model_path`` if given, else the one shipped in this package.

    Raises VadModelError naming the place looked at and how to fix it.
    """
    if model_path is not None:
        path = Path(model_path).expanduser()
        if path.is_file():
            return path.resolve()
        raise VadModelError(f"Silero VAD model not found at vad.model_path={str(path)!r}; {_FIX}")
    if PACKAGED_MODEL.is_file():
        return PACKAGED_MODEL
    raise VadModelError(f"Silero VAD model {MODEL_FILE!r} not found at {str(PACKAGED_MODEL)!r}; {_FIX}")
