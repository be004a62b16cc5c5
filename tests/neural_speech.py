"""A fixed set of customer-service sentences, spoken by espeak-ng and by Piper, and word error rate, for the neural
extra's tests and benchmark."""

from __future__ import annotations

import re

import numpy as np

SENTENCES = [
    "I would like to book a table for two people tonight",
    "Can you check the status of my order please",
    "My package was supposed to arrive yesterday",
    "Please tell me a long story about the robot",
    "I need to change the address on my account",
    "What time does the store open on Saturday",
    "The weather in Paris is sunny and warm",
    "Thank you that is all I needed today",
]


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference length)."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[len(hyp)], len(ref)


def wer(pairs: list[tuple[str, str]]) -> float:
    errors = [word_errors(reference, hypothesis) for reference, hypothesis in pairs]
    return sum(e for e, _ in errors) / sum(n for _, n in errors)


def piper_speech(text: str, sample_rate: int = 16000) -> np.ndarray:
    """``text`` spoken by the bundled Piper voice, int16 at ``sample_rate``."""
    from piper import PiperVoice  # type: ignore[import-untyped,import-not-found,unused-ignore]

    from pipeline.base.audio.resample import resample_int16
    from providers.local.piper_tts import bundled_voice_path

    voice = PiperVoice.load(bundled_voice_path())
    audio = np.concatenate([chunk.audio_int16_array for chunk in voice.synthesize(text)])
    return resample_int16(audio, int(voice.config.sample_rate), sample_rate)
