"""G.711 A-law decoding (Telnyx sends PCMA when the caller's leg uses it: UK, EU, India), vectorised."""

from __future__ import annotations

import numpy as np


def _build_decode_table() -> np.ndarray:
    codes = np.arange(256, dtype=np.int32) ^ 0x55
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = np.where(
        exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0)
    )
    return np.where(codes & 0x80, magnitude, -magnitude).astype(np.int16)


_DECODE = _build_decode_table()


def alaw_decode(data: bytes) -> np.ndarray:
    """A-law bytes -> int16 samples."""
    return _DECODE[np.frombuffer(data, dtype=np.uint8)]
