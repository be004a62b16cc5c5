"""SmartTurnModel against small ONNX stand-ins with the Smart Turn v3 signature, built with onnx.helper."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from turn.eot import AudioTurnCompletionModel, SmartTurnModel, SmartTurnModelError
from turn.eot.audio_features import N_FRAMES, N_MELS, SAMPLE_RATE, WINDOW_SAMPLES, smart_turn_features


# The stand-in: mean over mel bands per frame -> linear over frames -> sigmoid. Later frames weigh more, so
# the output depends on *where* in the 8 s window the sound is.
def _frame_weights(n_frames: int) -> np.ndarray:
    return np.linspace(-1.0, 1.0, n_frames, dtype=np.float32) / 400.0


FRAME_WEIGHTS = _frame_weights(N_FRAMES)
BIAS = np.float32(0.3)


def _write_model(
    path: Path,
    *,
    input_name: str = "input_features",
    input_shape: tuple[int | str, ...] = ("batch", N_MELS, N_FRAMES),
    elem_type: int = TensorProto.FLOAT,
    with_sigmoid: bool = True,
    scale: float = 1.0,
) -> Path:
    features = helper.make_tensor_value_info(input_name, elem_type, list(input_shape))
    output = helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 1])
    cast_to = "as_float" if elem_type != TensorProto.FLOAT else input_name
    n_frames = input_shape[2] if isinstance(input_shape[2], int) else N_FRAMES
    weights = (_frame_weights(n_frames) * scale).reshape(-1, 1)
    nodes = (
        []
        if cast_to == input_name
        else [helper.make_node("Cast", [input_name], [cast_to], to=TensorProto.FLOAT)]
    )
    nodes += [
        helper.make_node("ReduceMean", [cast_to], ["per_frame"], axes=[1], keepdims=0),
        helper.make_node("MatMul", ["per_frame", "w"], ["linear"]),
        helper.make_node("Add", ["linear", "b"], ["logit"]),
        helper.make_node("Sigmoid" if with_sigmoid else "Identity", ["logit"], ["probabilities"]),
    ]
    graph = helper.make_graph(
        nodes,
        "smart_turn_stand_in",
        [features],
        [output],
        initializer=[numpy_helper.from_array(weights, "w"), numpy_helper.from_array(np.array([BIAS]), "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _expected(samples: np.ndarray) -> float:
    per_frame = smart_turn_features(samples)[0].astype(np.float64).mean(axis=0)
    return float(1.0 / (1.0 + np.exp(-(per_frame @ FRAME_WEIGHTS + BIAS))))


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_model(tmp_path_factory.mktemp("smart_turn") / "stand_in.onnx")


@pytest.fixture(scope="module")
def model(model_path: Path) -> SmartTurnModel:
    return SmartTurnModel.load(model_path)


@pytest.fixture
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return "asyncio"


def _speech_like(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)
    return (0.2 * envelope * rng.standard_normal(n)).astype(np.float32)


def test_loads_and_satisfies_the_audio_protocol(model: SmartTurnModel, model_path: Path) -> None:
    assert isinstance(model, AudioTurnCompletionModel)
    assert model.path == model_path.resolve()


def test_prediction_matches_the_graph_on_the_computed_features(model: SmartTurnModel) -> None:
    audio = _speech_like(3.0)
    assert model.predict(audio) == pytest.approx(_expected(audio), abs=1e-5)


def test_short_audio_is_padded_with_silence_before_it(model: SmartTurnModel) -> None:
    audio = _speech_like(1.5, seed=1)
    padded_before = np.concatenate([np.zeros(WINDOW_SAMPLES - audio.size, np.float32), audio])
    padded_after = np.concatenate([audio, np.zeros(WINDOW_SAMPLES - audio.size, np.float32)])
    assert model.predict(audio) == pytest.approx(model.predict(padded_before), abs=1e-6)
    assert abs(model.predict(audio) - model.predict(padded_after)) > 0.01


def test_long_audio_uses_only_the_last_eight_seconds(model: SmartTurnModel) -> None:
    audio = np.concatenate([_speech_like(4.0, seed=2), np.zeros(6 * SAMPLE_RATE, np.float32)])
    assert model.predict(audio) == pytest.approx(model.predict(audio[-WINDOW_SAMPLES:]), abs=1e-6)
    assert abs(model.predict(audio) - model.predict(audio[:WINDOW_SAMPLES])) > 0.01


def test_output_is_a_probability_for_any_input(model: SmartTurnModel) -> None:
    rng = np.random.default_rng(3)
    inputs = [
        np.zeros(0, np.float32),
        np.zeros(SAMPLE_RATE, np.float32),
        np.ones(SAMPLE_RATE, np.float32),
        rng.standard_normal(20 * SAMPLE_RATE).astype(np.float32),
        (rng.standard_normal(SAMPLE_RATE) * 20000).astype(np.int16),
    ]
    for audio in inputs:
        assert 0.0 <= model.predict(audio) <= 1.0


def test_int16_audio_is_scaled(model: SmartTurnModel) -> None:
    pcm = (_speech_like(2.0, seed=4) * 32767).astype(np.int16)
    assert model.predict(pcm) == pytest.approx(model.predict(pcm.astype(np.float32) / 32768.0), abs=1e-5)


def test_analyze_reports_cpu_costs(model: SmartTurnModel) -> None:
    result = model.analyze(_speech_like(2.0))
    assert result.features_ms > 0.0 and result.inference_ms > 0.0
    assert result.probability == model.predict(_speech_like(2.0))


def test_concurrent_predictions_from_threads_agree(model: SmartTurnModel) -> None:
    clips = [_speech_like(1.0 + i % 3, seed=i) for i in range(12)]
    serial = [model.predict(c) for c in clips]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(model.predict, clips))
    assert parallel == serial


@pytest.mark.anyio
async def test_predict_async_runs_off_the_event_loop(model: SmartTurnModel) -> None:
    audio = _speech_like(2.0, seed=5)
    assert await model.predict_async(audio) == model.predict(audio)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SmartTurnModelError, match=r"not found.*huggingface"):
        SmartTurnModel.load(tmp_path / "smart-turn-v3.2-cpu.onnx")


def test_a_file_that_is_not_onnx_is_rejected(tmp_path: Path) -> None:
    bogus = tmp_path / "model.onnx"
    bogus.write_bytes(b"definitely not a protobuf")
    with pytest.raises(SmartTurnModelError, match="cannot load"):
        SmartTurnModel.load(bogus)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"input_name": "input_values"},
        {"input_shape": ("batch", N_MELS, 3000)},
        {"input_shape": ("batch", 128, N_FRAMES)},
        {"input_shape": (N_MELS, N_FRAMES, 1)},
        {"elem_type": TensorProto.DOUBLE},
    ],
    ids=["name", "frames", "mels", "rank-order", "dtype"],
)
def test_wrong_input_signature_is_rejected(tmp_path: Path, kwargs: dict[str, object]) -> None:
    path = _write_model(tmp_path / "wrong.onnx", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(SmartTurnModelError, match="input_features"):
        SmartTurnModel.load(path)


def test_fixed_batch_of_one_is_accepted(tmp_path: Path) -> None:
    path = _write_model(tmp_path / "batch1.onnx", input_shape=(1, N_MELS, N_FRAMES))
    assert 0.0 <= SmartTurnModel.load(path).predict(_speech_like(1.0)) <= 1.0


def test_a_model_that_outputs_logits_is_reported(tmp_path: Path) -> None:
    path = _write_model(tmp_path / "logits.onnx", with_sigmoid=False, scale=5000.0)
    model = SmartTurnModel.load(path)
    with pytest.raises(SmartTurnModelError, match="not a probability"):
        model.predict(_speech_like(3.0, seed=6))
