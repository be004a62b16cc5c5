"""onnxruntime, imported with its telemetry off: the one place the runtime imports it.

Since onnxruntime reads ``ORT_DISABLE_TELEMETRY`` when it loads, it has to be set before the first import; without
it a real-time run makes DNS lookups for a Microsoft telemetry host about 10 s in (``disable_telemetry_events()``
alone does not stop them). A value the user already set is kept. Import ``ort`` from here, never onnxruntime itself
(tests/test_offline.py checks both).
"""

from __future__ import annotations

import os

TELEMETRY_VARIABLE = "ORT_DISABLE_TELEMETRY"
os.environ.setdefault(TELEMETRY_VARIABLE, "1")

import onnxruntime as ort  # noqa: E402  (the variable above must be set first)

__all__ = ["TELEMETRY_VARIABLE", "ort"]
