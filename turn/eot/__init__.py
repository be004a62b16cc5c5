"""Semantic end-of-turn models: each gives the probability that the caller has finished their turn.

- ``TextTurnModel``: from the transcript so far (+ the agent's last question); trained by this project,
  weights shipped in the package.
- ``SmartTurnModel``: from the last 8 s of caller audio; the Smart Turn v3 ONNX file, supplied by the user.

Both are pipeline-independent; the turn detector combines them with VAD silence.
"""

from turn.eot.protocols import AudioTurnCompletionModel, TurnCompletionModel
from turn.eot.smart_turn import SmartTurnModel, SmartTurnModelError, SmartTurnResult
from turn.eot.text_model import TextModelLoadError, TextTurnModel

__all__ = [
    "AudioTurnCompletionModel",
    "SmartTurnModel",
    "SmartTurnModelError",
    "SmartTurnResult",
    "TextModelLoadError",
    "TextTurnModel",
    "TurnCompletionModel",
]
