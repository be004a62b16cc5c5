"""Hardening (issue 18, item 9): when the call dies on a fatal provider error, the WAV caller stops at once and
the result says the call failed (the CLI then exits non-zero)."""

from __future__ import annotations

from pathlib import Path

import anyio
import numpy as np
import pytest

from pipeline.base.audio.wav import write_wav
from pipeline.base.compute import inline_compute
from pipeline.transports.callers import WavCaller
from pipeline.transports.runner import run_call
from providers.errors import ErrorCode, ProviderError
from tests.conversation import make_pipeline
from tests.doubles import FailingStt, FakeTts, ScriptedLlm

pytestmark = pytest.mark.anyio


@pytest.mark.timeout(120, method="thread")
async def test_the_caller_stops_when_the_call_dies(tmp_path: Path) -> None:
    wav = tmp_path / "long.wav"
    write_wav(wav, np.zeros(8000 * 600, dtype=np.int16), 8000)  # ten minutes of caller audio
    failure = ProviderError("failing-stt", "invalid API key", code=ErrorCode.AUTH_FAILED, recoverable=False)
    pipeline = make_pipeline(FailingStt(failure), ScriptedLlm([]), FakeTts())  # type: ignore[arg-type]
    started = anyio.current_time()
    with inline_compute():
        result = await run_call(pipeline, WavCaller(wav, 16000))
    assert result.failed
    assert result.end_error is not None and "invalid API key" in result.end_error
    assert anyio.current_time() - started < 60  # virtual time: not the whole ten minutes
