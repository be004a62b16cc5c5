"""Silero engine: model location and errors, and probabilities equal to Silero's own reference wrapper."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from tests.silero_wheel import silero_wheel_file
from tests.speech_audio import conversation
from vad import (
    BatchedSileroEngine,
    SileroEngine,
    SileroModel,
    VadModelError,
    VadParams,
    VadResult,
    VadStream,
    create_vad,
    resolve_model_path,
)
from vad.factory import VadConfig
from vad.model_path import PACKAGED_MODEL

PARTS = [0.4, "Good morning, I would like to book a table.", 0.7, "No problem at all.", 0.5]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class ReferenceOnnxWrapper:
    """numpy transcription of ``silero_vad.utils_vad.OnnxWrapper`` (v6.2) — the state, context and reset
    handling of Silero's own streaming wrapper, without torch."""

    def __init__(self, path: str) -> None:
        options = ort.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(path, providers=["CPUExecutionProvider"], sess_options=options)
        self.reset_states()

    def reset_states(self, batch_size: int = 1) -> None:
        self._state = np.zeros((2, batch_size, 128), dtype=np.float32)
        self._context = np.zeros(0, dtype=np.float32)
        self._last_sr = 0
        self._last_batch_size = 0

    def __call__(self, x: np.ndarray, sr: int) -> np.ndarray:
        if x.ndim == 1:
            x = x[np.newaxis, :]
        num_samples = 512 if sr == 16000 else 256
        assert x.shape[-1] == num_samples
        batch_size = x.shape[0]
        context_size = 64 if sr == 16000 else 32
        if not self._last_batch_size:
            self.reset_states(batch_size)
        if self._last_sr and self._last_sr != sr:
            self.reset_states(batch_size)
        if self._last_batch_size and self._last_batch_size != batch_size:
            self.reset_states(batch_size)
        if not len(self._context):
            self._context = np.zeros((batch_size, context_size), dtype=np.float32)
        x = np.concatenate([self._context, x], axis=1)
        out, state = self.session.run(
            None, {"input": x, "state": self._state, "sr": np.array(sr, dtype=np.int64)}
        )
        self._state = state
        self._context = x[..., -context_size:]
        self._last_sr = sr
        self._last_batch_size = batch_size
        return out


def reference_probabilities(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """The per-window loop of ``get_speech_timestamps`` (last partial window zero-padded)."""
    model = ReferenceOnnxWrapper(str(silero_wheel_file()))
    window = 512 if sample_rate == 16000 else 256
    probabilities = []
    for start in range(0, audio.size, window):
        chunk = audio[start : start + window]
        if chunk.size < window:
            chunk = np.pad(chunk, (0, window - chunk.size))
        probabilities.append(model(chunk, sample_rate).item())
    return np.array(probabilities)


def noisy_track(sample_rate: int) -> np.ndarray:
    track = conversation(PARTS, sample_rate)
    noise = np.random.default_rng(7).normal(0.0, 60.0, track.samples.size)
    return np.clip(track.samples + noise, -32768, 32767).astype(np.int16)


async def feed(stream: VadStream, audio: np.ndarray, sample_rate: int, chunk: int) -> list[VadResult]:
    results: list[VadResult] = []
    for start in range(0, audio.size, chunk):
        results += await stream.process(audio[start : start + chunk], start / sample_rate)
    return results


def decisions(results: list[VadResult]) -> list[tuple[object, ...]]:
    """Everything a user sees except timing metrics (media times rounded to a nanosecond)."""
    return [
        (
            r.probability,
            r.state,
            r.event and (r.event.kind, round(r.event.time, 9)),
            round(r.window_end, 9),
            round(r.speech_duration, 9),
            r.volume_db,
        )
        for r in results
    ]


@pytest.mark.anyio
@pytest.mark.parametrize("sample_rate", [16000, 8000])
async def test_probabilities_equal_silero_reference_wrapper(sample_rate: int) -> None:
    audio = noisy_track(sample_rate)
    expected = reference_probabilities(audio.astype(np.float32) / 32768.0, sample_rate)
    stream = SileroEngine.shared().create_stream(sample_rate)
    results = [r for r in await feed(stream, audio, sample_rate, sample_rate // 50) if r.scored]
    got = np.array([r.probability for r in results])
    assert got.size == audio.size // stream.window_size  # the trailing partial window waits for more audio
    np.testing.assert_allclose(got, expected[: got.size], atol=1e-6, rtol=0)
    assert got.max() > 0.9 and got.min() < 0.05  # the track exercises both speech and silence
    assert all(0.0 < r.inference_s < 0.05 for r in results)


@pytest.mark.anyio
async def test_results_do_not_depend_on_chunk_size() -> None:
    """With window edges nothing depends on the chunk size; with frame edges (the default) the windows' scores do
    not either, only when between windows a decision lands (on the chunk that completes a minimum)."""
    audio = noisy_track(16000)
    engine = SileroEngine(SileroModel.shared(), VadParams(frame_edges=False))
    baseline = decisions(await feed(engine.create_stream(16000), audio, 16000, 320))
    for chunk in (160, 512, 1001, audio.size):
        assert decisions(await feed(engine.create_stream(16000), audio, 16000, chunk)) == baseline
    framed = SileroEngine.shared()
    scored = [r.probability for r in await feed(framed.create_stream(16000), audio, 16000, 320) if r.scored]
    for chunk in (160, 1001):
        again = [
            r.probability for r in await feed(framed.create_stream(16000), audio, 16000, chunk) if r.scored
        ]
        assert again == scored


@pytest.mark.anyio
async def test_reset_behaves_like_a_fresh_stream() -> None:
    audio = noisy_track(16000)
    engine = SileroEngine.shared()
    fresh = decisions(await feed(engine.create_stream(16000), audio, 16000, 320))
    reused = engine.create_stream(16000)
    await feed(reused, audio[: audio.size // 2 + 77], 16000, 320)
    reused.reset()
    assert decisions(await feed(reused, audio, 16000, 320)) == fresh


def test_model_is_shipped_in_the_vad_package_and_found_without_silero_vad() -> None:
    path = resolve_model_path()
    assert path == PACKAGED_MODEL and path.is_file()
    assert path.parent.parent.name == "vad" and path.name == "silero_vad.onnx"
    assert "silero_vad" not in sys.modules and "torch" not in sys.modules


def test_one_session_per_model_path() -> None:
    assert SileroEngine.shared() is SileroEngine.shared(resolve_model_path())
    assert SileroEngine.shared().model is SileroModel.shared()
    assert BatchedSileroEngine().model is SileroModel.shared()
    assert create_vad(VadConfig(batched=True)).model is SileroModel.shared()  # type: ignore[attr-defined]


def test_missing_model_path_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "vad.onnx"
    with pytest.raises(VadModelError) as caught:
        SileroEngine.shared(missing)
    message = str(caught.value)
    assert str(missing) in message and "vad.model_path" in message


def test_missing_packaged_model_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("vad.model_path.PACKAGED_MODEL", tmp_path / "data" / "silero_vad.onnx")
    with pytest.raises(VadModelError) as caught:
        resolve_model_path()
    message = str(caught.value)
    assert str(tmp_path / "data") in message and "reinstall Parley" in message and "vad.model_path" in message


def test_unusable_model_files_are_clear_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"this is not an onnx model")
    with pytest.raises(VadModelError, match="cannot load Silero VAD model"):
        SileroModel.shared(garbage)
    sequence_model = silero_wheel_file("silero_vad_16k_sequence.onnx")
    with pytest.raises(VadModelError, match="not a streaming Silero VAD"):
        SileroModel.shared(sequence_model)
