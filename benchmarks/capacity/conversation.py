"""The caller side of every benchmark session: a looped conversation spoken by espeak-ng, with pauses in which the
agent answers, and the scripts of the simulated providers that go with it.

The audio is synthesized once (in the parent process) and shared read-only by all sessions of a worker; each
session starts at its own position in the loop, so the callers do not all speak at the same moment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RATE = 16000
FRAME_MS = 20
FRAME_SAMPLES = RATE * FRAME_MS // 1000
FRAME_SECONDS = FRAME_MS / 1000
FRAME_BYTES = 2 * FRAME_SAMPLES

VOICE = "en-us+klatt4"
RATE_WPM = 165
PAUSE_SECONDS = 3.5  # after each caller line: room for the agent's reply (about 1 s to start, 2 s long)

CALLER_LINES = (
    "Hi I would like to check the status of my order please.",
    "The order number is four thousand five hundred and sixty seven.",
    "Great and when will it arrive?",
    "Could you send it to my office address instead?",
    "Yes the one on Main Street.",
    "Thank you that is all for today.",
)
AGENT_REPLY = "Sure, I can help with that. Give me one moment."  # 2 s of simulated speech


@dataclass(frozen=True)
class CallerAudio:
    """The looped caller track (PCM16 mono at ``RATE``) and what the simulated STT "hears" in it."""

    pcm: bytes
    utterances: tuple[str, ...]

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / RATE

    def frames(self) -> list[bytes]:
        """The loop cut into 20 ms frames (the last one padded with silence)."""
        padded = self.pcm + bytes(-len(self.pcm) % FRAME_BYTES)
        return [padded[start : start + FRAME_BYTES] for start in range(0, len(padded), FRAME_BYTES)]


def synthesize_caller(lines: tuple[str, ...] = CALLER_LINES, pause: float = PAUSE_SECONDS) -> CallerAudio:
    """Speak ``lines`` with espeak-ng (trimmed to the speech), each followed by ``pause`` seconds of silence."""
    from tests.speech_audio import speak  # only the parent process needs espeak-ng

    pieces: list[np.ndarray] = []
    for line in lines:
        pieces += [speak(line, RATE, VOICE, RATE_WPM), np.zeros(round(pause * RATE), dtype=np.int16)]
    return CallerAudio(np.concatenate(pieces).astype("<i2").tobytes(), lines)
