"""Configuration and construction of the VAD the pipeline uses."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from vad.batched_engine import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_WAIT,
    DEFAULT_OFFLOAD_MIN_ROWS,
    BatchedSileroEngine,
)
from vad.energy import EnergyVad
from vad.params import VadParams
from vad.silero_engine import SileroEngine
from vad.silero_model import SileroModel
from vad.stream import Vad


class VadConfig(BaseModel):
    """The ``vad`` section of the Parley config."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["silero", "energy"] = "silero"
    model_path: Path | None = Field(
        None, description="Silero ONNX file; default: the one in the silero-vad wheel"
    )
    batched: bool = Field(True, description="batch windows of concurrent sessions into one model call")
    max_wait: float = Field(
        DEFAULT_MAX_WAIT, gt=0.0, le=0.05, description="longest a window waits for a batch"
    )
    max_batch: int = Field(DEFAULT_MAX_BATCH, ge=1, le=4096)
    offload_min_rows: int | None = Field(
        DEFAULT_OFFLOAD_MIN_ROWS,
        ge=1,
        description="batches this large run in a worker thread, so the event loop keeps going while a big batch "
        "runs (helps one process on many cores); None: never (best with one process per core, where the "
        "thread only competes with its own loop: 25% less CPU per session in the capacity benchmark)",
    )
    params: VadParams = Field(default_factory=VadParams)


def create_vad(config: VadConfig | None = None) -> Vad:
    """Build the configured VAD. Silero engines share the process-wide onnxruntime session; a batched engine
    belongs to one event loop, so call this once per loop."""
    config = config or VadConfig()
    if config.kind == "energy":
        return EnergyVad(config.params)
    model = SileroModel.shared(config.model_path)
    if not config.batched:
        return SileroEngine(model, config.params)
    return BatchedSileroEngine(
        model,
        params=config.params,
        max_wait=config.max_wait,
        max_batch=config.max_batch,
        offload_min_rows=config.offload_min_rows,
    )
