"""Errors raised by the VAD package."""

from __future__ import annotations


class VadError(Exception):
    """Base class for VAD errors."""


class VadModelError(VadError):
    """The Silero model file is missing, unreadable or not the expected model."""


class VadInferenceError(VadError):
    """onnxruntime failed while running the model on a batch of windows."""
