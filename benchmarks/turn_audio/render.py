"""Turn-taking cases as caller audio: each spoken piece by espeak-ng (several voices, rates and pitches) or by the
bundled Piper voice (when the neural extra is installed), joined by the case's pauses and a long trailing
silence.

The voice is one per case (a caller is one speaker), drawn deterministically from the case's id and words, so a
rerun renders the same track. Every piece is cut to its audible extent (|sample| > 100), so each pause is exactly
the case's pause between the last audible sample of one piece and the first of the next. Pauses and the tail
carry a very low seeded noise floor (about -70 dBFS) instead of digital silence.

Rendered pieces are cached under ``.cache/turn_audio/`` (gitignored), one ``.npy`` per piece keyed by a hash of
the engine, voice, rate, pitch and text, so reruns skip synthesis. espeak-ng pieces are synthesized in a fresh
process each (``tests.speech_audio``), so a piece's audio does not depend on what was rendered before it.
"""

from __future__ import annotations

import functools
import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.turn_corpus import TurnCase

RATE = 16000
CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "turn_audio"
RENDER_VERSION = 1  # bump to invalidate the cache when rendering changes
AUDIBLE = 100  # |sample| above this is speech (as benchmarks.vad_edges defines the truth)
NOISE_STD = 10.0  # noise floor in pauses and the tail (about -70 dBFS)
LEAD_S = 1.5  # noise before the first piece (the agent asks its question meanwhile)

ESPEAK_VOICES = ("en-us", "en-gb", "en-us+f3", "en-us+klatt4", "en-gb+m3", "en-us+f2")
ESPEAK_RATES = (140, 160, 175, 195)  # words per minute
ESPEAK_PITCHES = (35, 50, 65)
PIPER_SHARE = 0.25  # share of the cases spoken by Piper when it is installed
PIPER_LENGTH_SCALES = (0.9, 1.0, 1.15)  # Piper's speaking rate (phoneme length)


@dataclass(frozen=True)
class Voice:
    engine: str  # "espeak" or "piper"
    name: str
    rate: float  # espeak: words per minute; piper: length scale
    pitch: int = 50

    @property
    def label(self) -> str:
        return f"{self.engine}:{self.name}@{self.rate:g}" + (
            f"/p{self.pitch}" if self.engine == "espeak" else ""
        )


@dataclass(frozen=True)
class CaseAudio:
    """A case as caller audio: the samples, and when each piece is heard (seconds from the track's start)."""

    case: TurnCase
    voice: Voice
    samples: np.ndarray  # int16 at RATE
    segments: tuple[tuple[float, float, str], ...]  # (start, end, text) of each spoken piece

    @property
    def speech_end(self) -> float:
        """The caller's true end of turn: the last audible sample of the last piece."""
        return self.segments[-1][1]

    @property
    def pauses(self) -> list[tuple[float, float]]:
        """(start, end) of every internal pause: from one piece's last audible sample to the next one's first."""
        return [(a[1], b[0]) for a, b in zip(self.segments, self.segments[1:], strict=False)]


@functools.cache
def piper_available() -> bool:
    try:
        import piper  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: F401

        from providers.local.piper_tts import bundled_voice_path

        return bundled_voice_path().is_file()
    except Exception:
        return False


def choose_voice(case: TurnCase, *, use_piper: bool) -> Voice:
    rng = random.Random(f"turn-audio|{case.case_id}|{case.full_text}")
    piper_roll = rng.random()
    if use_piper and piper_roll < PIPER_SHARE:
        return Voice("piper", "en_US-joe-medium", rng.choice(PIPER_LENGTH_SCALES))
    return Voice("espeak", rng.choice(ESPEAK_VOICES), rng.choice(ESPEAK_RATES), rng.choice(ESPEAK_PITCHES))


def audible(samples: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > AUDIBLE)
    return samples[:0] if loud.size == 0 else samples[loud[0] : loud[-1] + 1]


@functools.cache
def _piper_voice() -> object:
    from piper import PiperVoice  # type: ignore[import-untyped,import-not-found,unused-ignore]

    from providers.local.piper_tts import bundled_voice_path

    return PiperVoice.load(bundled_voice_path())


def synthesize(text: str, voice: Voice) -> np.ndarray:
    if voice.engine == "espeak":
        from tests.speech_audio import speak

        return np.array(speak(text, RATE, voice=voice.name, rate_wpm=int(voice.rate), pitch=voice.pitch))
    from piper import SynthesisConfig  # type: ignore[import-untyped,import-not-found,unused-ignore]

    from pipeline.base.audio.resample import resample_int16

    piper_voice = _piper_voice()
    config = SynthesisConfig(length_scale=voice.rate)
    chunks = list(piper_voice.synthesize(text, syn_config=config))  # type: ignore[attr-defined]
    audio = np.concatenate([chunk.audio_int16_array for chunk in chunks])
    native = int(piper_voice.config.sample_rate)  # type: ignore[attr-defined]
    return audible(resample_int16(audio, native, RATE))


def speak_piece(text: str, voice: Voice, cache_dir: Path | None = CACHE_DIR) -> np.ndarray:
    """One piece of speech (int16 at RATE, cut to its audible extent), from the cache when it is there."""
    key = hashlib.sha256(
        f"{RENDER_VERSION}|{voice.engine}|{voice.name}|{voice.rate}|{voice.pitch}|{text}".encode()
    ).hexdigest()[:24]
    path = None if cache_dir is None else cache_dir / f"{key}.npy"
    if path is not None and path.is_file():
        cached: np.ndarray = np.load(path)
        return cached
    samples = audible(synthesize(text, voice)).astype(np.int16)
    if samples.size == 0:
        raise RuntimeError(f"{voice.label} said nothing audible for {text!r}")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, samples)
    return samples


def spoken_text(text: str) -> str:
    """What the synthesizer is asked to say: the STT-style words with sentence punctuation removed (the pauses
    are the case's own, not the synthesizer's)."""
    return " ".join(text.replace(",", " ").replace("?", " ").rstrip(".").split()) or text


def render(
    case: TurnCase,
    *,
    tail_s: float,
    use_piper: bool | None = None,
    voice: Voice | None = None,
    cache_dir: Path | None = CACHE_DIR,
) -> CaseAudio:
    """The case as one caller track: ``LEAD_S`` of noise, the pieces and pauses, then ``tail_s`` of noise."""
    chosen = voice or choose_voice(case, use_piper=piper_available() if use_piper is None else use_piper)
    noise = np.random.default_rng(int(hashlib.sha256(case.case_id.encode()).hexdigest()[:8], 16))
    pieces: list[np.ndarray] = [np.zeros(round(LEAD_S * RATE), dtype=np.int16)]
    segments: list[tuple[float, float, str]] = []
    position = pieces[0].size
    for chunk in case.chunks:
        if isinstance(chunk, str):
            piece = speak_piece(spoken_text(chunk), chosen, cache_dir)
            segments.append((position / RATE, (position + piece.size) / RATE, chunk))
        else:
            piece = np.zeros(round(float(chunk) * RATE), dtype=np.int16)
        pieces.append(piece)
        position += piece.size
    pieces.append(np.zeros(round(tail_s * RATE), dtype=np.int16))
    samples = np.concatenate(pieces)
    quiet = np.ones(samples.size, dtype=bool)
    for start, end, _ in segments:
        quiet[round(start * RATE) : round(end * RATE)] = False
    floor = np.clip(np.round(noise.normal(0.0, NOISE_STD, samples.size)), -AUDIBLE, AUDIBLE).astype(np.int16)
    samples[quiet] = floor[quiet]
    return CaseAudio(case, chosen, samples, tuple(segments))
