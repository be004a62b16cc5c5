"""Tunable parameters shared by every VAD implementation."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

SampleRate = Literal[8000, 16000]


class VadParams(BaseModel):
    """Thresholds and timings of the speech state machine (durations in seconds, levels in dBFS).

    ``prefix_padding`` is not used by the state machine itself: it tells the consumer how much audio before
    ``SPEECH_STARTED.time`` to keep (e.g. to forward to STT).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    activation_threshold: float = Field(0.5, gt=0.0, le=1.0, description="probability at which speech begins")
    deactivation_threshold: float = Field(
        0.35, ge=0.0, le=1.0, description="probability below which a window counts as silence once speaking"
    )
    min_speech_duration: float = Field(
        0.1, ge=0.0, le=10.0, description="speech needed before SPEECH_STARTED"
    )
    min_silence_duration: float = Field(
        0.15, ge=0.0, le=10.0, description="silence needed before SPEECH_STOPPED"
    )
    prefix_padding: float = Field(0.3, ge=0.0, le=5.0, description="audio to keep before the speech start")
    min_volume: float = Field(-60.0, le=0.0, description="windows quieter than this (dBFS RMS) are silence")
    frame_edges: bool = Field(
        True,
        description="place speech edges inside the model's windows by the audio level and decide on the frame "
        "that completes a minimum (to the nearest frame); false: edges and decisions on window boundaries",
    )
    sample_rate: SampleRate = 16000

    @field_validator("deactivation_threshold")
    @classmethod
    def _not_above_activation(cls, value: float, info: ValidationInfo) -> float:
        activation = info.data.get("activation_threshold")
        if activation is not None and value > activation:
            raise ValueError(
                f"deactivation_threshold ({value}) must be <= activation_threshold ({activation})"
            )
        return value

    def with_sample_rate(self, sample_rate: int | None) -> VadParams:
        """A validated copy for another sample rate (same object if None or unchanged)."""
        if sample_rate is None or sample_rate == self.sample_rate:
            return self
        return VadParams.model_validate({**self.model_dump(), "sample_rate": sample_rate})
