"""Hardening (issue 18, items 10 and 12): nonsense sample rates, devices and pipes get one clear error."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest

from pipeline.base.audio import read_wav
from pipeline.base.audio.frame import AudioFormatError
from pipeline.base.audio.wav import wav_bytes


def with_rate(rate: int) -> bytes:
    data = bytearray(wav_bytes(np.zeros(1600, dtype=np.int16), 16000))
    data[24:28] = struct.pack("<I", rate)
    return bytes(data)


@pytest.mark.parametrize("rate", [0, 1, 4000, 400_000])
def test_a_nonsense_sample_rate_is_refused(rate: int) -> None:
    with pytest.raises(AudioFormatError, match="sample rate"):
        read_wav(with_rate(rate), 16000)


def test_dev_zero_is_refused() -> None:
    with pytest.raises(AudioFormatError, match="not a regular file"):
        read_wav("/dev/zero", 16000)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    with pytest.raises(AudioFormatError, match="not a regular file"):
        read_wav(fifo, 16000)
