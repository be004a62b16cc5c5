"""Smart Turn v3 (pipecat-ai/smart-turn) audio end-of-turn model, loaded from a user-supplied ONNX file.

The model is optional and never downloaded at run time: get ``smart-turn-v3.x.onnx`` yourself and pass its path
(it is on https://huggingface.co/pipecat-ai/smart-turn-v3, and v3.2 ships inside the ``pipecat-ai`` wheel on PyPI
as ``pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx``). Its contract: one float32 input
``input_features`` of shape [batch, 80, 800] (``audio_features.smart_turn_features``), first output a sigmoid
probability that the turn is complete.

One ONNX Runtime session per model file is shared process-wide (``InferenceSession.run`` is thread-safe);
each session runs single-threaded so concurrent calls do not fight over cores. ``predict`` is CPU-bound
(tens of ms for the real model): call it from a worker thread, e.g. ``await model.predict_async(samples)``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
import numpy as np

from pipeline.base.onnx_runtime import ort
from turn.eot.audio_features import N_FRAMES, N_MELS, smart_turn_features

INPUT_NAME = "input_features"
_PROBABILITY_TOLERANCE = 1e-4


class SmartTurnModelError(ValueError):
    """The Smart Turn model file is missing, unreadable or of the wrong signature, or its output is bad."""


@dataclass(frozen=True, slots=True)
class SmartTurnResult:
    probability: float  # that the user has finished their turn
    features_ms: float  # CPU time spent on the log-mel features
    inference_ms: float  # CPU time spent in ONNX Runtime


_sessions: dict[tuple[str, int, int], ort.InferenceSession] = {}
_sessions_lock = threading.Lock()


def _open_session(path: Path) -> ort.InferenceSession:
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)  # a replaced file gets a fresh session
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            try:
                session = ort.InferenceSession(
                    str(path), sess_options=options, providers=["CPUExecutionProvider"]
                )
            except Exception as exc:  # onnxruntime raises its own exception types for bad files
                raise SmartTurnModelError(f"cannot load Smart Turn model {path}: {exc}") from exc
            _check_signature(session, path)
            _sessions[key] = session
    return session


def _dim_matches(dim: object, expected: int | None) -> bool:
    """A symbolic (str) or unknown (None) dimension accepts anything; a fixed one must equal ``expected``."""
    return not isinstance(dim, int) or expected is None or dim == expected


def _check_signature(session: ort.InferenceSession, path: Path) -> None:
    inputs = session.get_inputs()
    outputs = session.get_outputs()
    described = ", ".join(f"{i.name}: {i.type} {i.shape}" for i in inputs)
    expected = f"expected one input '{INPUT_NAME}': tensor(float) [batch, {N_MELS}, {N_FRAMES}]"
    if len(inputs) != 1 or inputs[0].name != INPUT_NAME:
        raise SmartTurnModelError(
            f"{path} is not a Smart Turn v3 model: inputs are ({described}); {expected}"
        )
    spec = inputs[0]
    shape = list(spec.shape) if spec.shape is not None else []
    shape_ok = len(shape) == 3 and all(
        _dim_matches(d, e) for d, e in zip(shape, (1, N_MELS, N_FRAMES), strict=True)
    )
    if spec.type != "tensor(float)" or not shape_ok:
        raise SmartTurnModelError(f"{path} has input {spec.name}: {spec.type} {spec.shape}; {expected}")
    if not outputs or outputs[0].type != "tensor(float)":
        raise SmartTurnModelError(f"{path} must have a float probability as its first output")


class SmartTurnModel:
    """Smart Turn v3 end-of-turn classifier; stateless, safe to share between threads and tasks."""

    def __init__(self, session: ort.InferenceSession, path: Path) -> None:
        self._session = session
        self._path = path
        self._output_name = session.get_outputs()[0].name

    @classmethod
    def load(cls, path: str | Path) -> SmartTurnModel:
        model_path = Path(path).expanduser().resolve()
        if not model_path.is_file():
            raise SmartTurnModelError(
                f"Smart Turn model not found at {model_path}. Get smart-turn-v3 (ONNX) from "
                "https://huggingface.co/pipecat-ai/smart-turn-v3 or from the pipecat-ai wheel on PyPI "
                "(pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx) and pass its path; "
                "Parley never downloads it."
            )
        return cls(_open_session(model_path), model_path)

    @property
    def path(self) -> Path:
        return self._path

    def analyze(self, samples_16k: np.ndarray) -> SmartTurnResult:
        """Probability plus the CPU cost of computing it. Uses the last 8 s; shorter audio is zero-padded."""
        start = time.perf_counter()
        features = smart_turn_features(samples_16k)
        mid = time.perf_counter()
        (raw,) = self._session.run([self._output_name], {INPUT_NAME: features})
        end = time.perf_counter()
        values = np.asarray(raw, dtype=np.float64).ravel()
        if values.size == 0 or not np.isfinite(values[0]):
            raise SmartTurnModelError(f"{self._path} returned no finite output: {raw!r}")
        value = float(values[0])
        if not -_PROBABILITY_TOLERANCE <= value <= 1.0 + _PROBABILITY_TOLERANCE:
            raise SmartTurnModelError(f"{self._path} returned {value}, not a probability (sigmoid output)")
        probability = min(1.0, max(0.0, value))
        return SmartTurnResult(probability, (mid - start) * 1e3, (end - mid) * 1e3)

    def predict(self, samples_16k: np.ndarray) -> float:
        """Probability in [0, 1] that the turn is complete; 16 kHz mono audio, float in [-1, 1] or int16."""
        return self.analyze(samples_16k).probability

    async def predict_async(self, samples_16k: np.ndarray) -> float:
        """``predict`` in a worker thread, so the event loop keeps serving audio meanwhile."""
        return await anyio.to_thread.run_sync(self.predict, samples_16k)
