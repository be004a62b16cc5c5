"""Parameter and config validation: bad values are rejected with errors that name the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from vad import EnergyVad, VadConfig, VadParams


def error_fields(error: ValidationError) -> list[str]:
    return [".".join(str(part) for part in detail["loc"]) for detail in error.errors()]


def test_defaults_are_the_documented_ones() -> None:
    params = VadParams()
    assert (params.activation_threshold, params.deactivation_threshold) == (0.5, 0.35)
    assert (params.min_speech_duration, params.min_silence_duration, params.prefix_padding) == (
        0.1,
        0.15,
        0.3,
    )
    assert params.min_volume == -60.0 and params.sample_rate == 16000


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"activation_threshold": 1.5}, "activation_threshold"),
        ({"activation_threshold": 0.0}, "activation_threshold"),
        ({"deactivation_threshold": -0.1}, "deactivation_threshold"),
        ({"min_speech_duration": -0.1}, "min_speech_duration"),
        ({"min_silence_duration": "long"}, "min_silence_duration"),
        ({"prefix_padding": -1}, "prefix_padding"),
        ({"min_volume": 3.0}, "min_volume"),
        ({"sample_rate": 44100}, "sample_rate"),
        ({"threshold": 0.5}, "threshold"),  # extra="forbid": typos are errors, not silently ignored
    ],
)
def test_bad_params_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        VadParams(**kwargs)  # type: ignore[arg-type]
    assert error_fields(caught.value) == [field]


def test_deactivation_above_activation_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        VadParams(activation_threshold=0.5, deactivation_threshold=0.6)
    assert error_fields(caught.value) == ["deactivation_threshold"]
    assert "must be <= activation_threshold" in str(caught.value)
    assert VadParams(activation_threshold=0.6, deactivation_threshold=0.6).deactivation_threshold == 0.6


def test_params_are_immutable() -> None:
    params = VadParams()
    with pytest.raises(ValidationError):
        params.activation_threshold = 0.9  # type: ignore[misc]


def test_config_errors_point_into_the_vad_section() -> None:
    with pytest.raises(ValidationError) as caught:
        VadConfig.model_validate({"kind": "silero", "params": {"activation_threshold": 2}})
    assert error_fields(caught.value) == ["params.activation_threshold"]
    with pytest.raises(ValidationError) as caught:
        VadConfig.model_validate({"kind": "webrtc"})
    assert error_fields(caught.value) == ["kind"]
    with pytest.raises(ValidationError) as caught:
        VadConfig.model_validate({"max_wait": 0})
    assert error_fields(caught.value) == ["max_wait"]


def test_stream_sample_rate_override_is_validated() -> None:
    vad = EnergyVad(VadParams(activation_threshold=0.7))
    stream = vad.create_stream(8000)
    assert stream.sample_rate == 8000 and stream.window_size == 256
    assert stream.params.activation_threshold == 0.7
    with pytest.raises(ValidationError) as caught:
        vad.create_stream(22050)
    assert error_fields(caught.value) == ["sample_rate"]
