"""The Silero VAD ONNX model: one thread-safe onnxruntime session per model file, shared by the process."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from pipeline.base.onnx_runtime import ort
from vad.errors import VadInferenceError, VadModelError
from vad.model_path import resolve_model_path

STATE_SIZE = 128


@dataclass(frozen=True, slots=True)
class WindowGeometry:
    """Samples per model window and samples of the previous window prepended to it ("context")."""

    window: int
    context: int

    @property
    def row(self) -> int:
        return self.context + self.window


_GEOMETRY = {16000: WindowGeometry(window=512, context=64), 8000: WindowGeometry(window=256, context=32)}


def window_geometry(sample_rate: int) -> WindowGeometry:
    try:
        return _GEOMETRY[sample_rate]
    except KeyError:
        raise ValueError(f"Silero VAD supports 8000 or 16000 Hz, got {sample_rate}") from None


def initial_state(batch: int = 1) -> np.ndarray:
    """The recurrent state of fresh streams, shape [2, batch, 128]."""
    return np.zeros((2, batch, STATE_SIZE), dtype=np.float32)


@dataclass(frozen=True, slots=True)
class BatchOutput:
    probabilities: np.ndarray  # [batch] float32
    state: np.ndarray  # [2, batch, 128] float32
    elapsed_s: float  # time spent inside onnxruntime for the whole batch


@dataclass(frozen=True, slots=True)
class RowOutput:
    """The model's answer for one stream's row."""

    probability: float
    state: np.ndarray  # [2, 1, 128]
    inference_s: float


class SileroModel:
    """Wraps one onnxruntime session. ``run`` is thread-safe (onnxruntime's ``run`` is), so one instance serves
    every stream and thread of the process; use ``SileroModel.shared()`` rather than the constructor."""

    _instances: ClassVar[dict[Path, SileroModel]] = {}
    _instances_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises several unrelated exception types
            raise VadModelError(f"cannot load Silero VAD model {str(path)!r}: {exc}") from exc
        self.path = path
        self._check_signature()

    @classmethod
    def shared(cls, model_path: str | Path | None = None) -> SileroModel:
        """The process-wide model for ``model_path`` (default: the file shipped in the silero-vad wheel)."""
        path = resolve_model_path(model_path)
        with cls._instances_lock:
            model = cls._instances.get(path)
            if model is None:
                model = cls(path)
                cls._instances[path] = model
            return model

    def _check_signature(self) -> None:
        inputs = {i.name for i in self._session.get_inputs()}
        outputs = [o.name for o in self._session.get_outputs()]
        if inputs != {"input", "state", "sr"} or outputs[:2] != ["output", "stateN"]:
            raise VadModelError(
                f"{str(self.path)!r} is not a streaming Silero VAD v5/v6 model: expected inputs "
                f"input/state/sr and outputs output/stateN, found inputs {sorted(inputs)} and outputs {outputs}"
            )

    def run(self, rows: np.ndarray, state: np.ndarray, sample_rate: int) -> BatchOutput:
        """Run one batch: ``rows`` [batch, context+window] float32, ``state`` [2, batch, 128] float32."""
        geometry = window_geometry(sample_rate)
        if rows.ndim != 2 or rows.shape[1] != geometry.row:
            raise ValueError(
                f"rows must have shape [batch, {geometry.row}] at {sample_rate} Hz, got {rows.shape}"
            )
        if state.shape != (2, rows.shape[0], STATE_SIZE):
            raise ValueError(f"state must have shape (2, {rows.shape[0]}, {STATE_SIZE}), got {state.shape}")
        feed = {
            "input": np.ascontiguousarray(rows, dtype=np.float32),
            "state": np.ascontiguousarray(state, dtype=np.float32),
            "sr": np.array(sample_rate, dtype=np.int64),
        }
        started = time.perf_counter()
        try:
            output, new_state = self._session.run(["output", "stateN"], feed)
        except Exception as exc:  # onnxruntime raises its own exception types
            raise VadInferenceError(f"Silero VAD inference failed on {rows.shape[0]} rows: {exc}") from exc
        elapsed = time.perf_counter() - started
        return BatchOutput(output.reshape(-1), new_state, elapsed)

    def run_row(self, row: np.ndarray, state: np.ndarray, sample_rate: int) -> RowOutput:
        """Run one stream's row alone: ``row`` [context+window] float32, ``state`` [2, 1, 128] float32."""
        output = self.run(row[np.newaxis, :], state, sample_rate)
        return RowOutput(float(output.probabilities[0]), output.state, output.elapsed_s)
