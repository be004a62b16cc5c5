"""Voice activity detection: Silero (shared onnxruntime session, optionally batched across sessions) and an
energy fallback, with one stream API and speech state machine."""

from vad.batched_engine import BatchedSileroEngine, BatchStats
from vad.energy import EnergyVad
from vad.errors import VadError, VadInferenceError, VadModelError
from vad.factory import VadConfig, create_vad
from vad.model_path import resolve_model_path
from vad.params import VadParams
from vad.protocols import WindowScore, WindowScorer
from vad.results import VadEvent, VadEventKind, VadResult, VadState
from vad.silero_engine import SileroEngine
from vad.silero_model import SileroModel
from vad.state_machine import VadStateMachine
from vad.stream import Vad, VadStream

__all__ = [
    "BatchStats",
    "BatchedSileroEngine",
    "EnergyVad",
    "SileroEngine",
    "SileroModel",
    "Vad",
    "VadConfig",
    "VadError",
    "VadEvent",
    "VadEventKind",
    "VadInferenceError",
    "VadModelError",
    "VadParams",
    "VadResult",
    "VadState",
    "VadStateMachine",
    "VadStream",
    "WindowScore",
    "WindowScorer",
    "create_vad",
    "resolve_model_path",
]
