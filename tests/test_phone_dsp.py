"""In-band DTMF, answering-machine and beep detection on generated audio: tones under noise and between speech,
a short "hello?" (human), long greetings (machine), a greeting then a beep; no false beeps or digits."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.base.phone.amd import AnsweredBy, MachineDetector, answered_by_from_twilio
from pipeline.base.phone.beep import BeepDetector
from pipeline.base.phone.dtmf import DtmfDetector, dtmf_tones
from tests.speech_audio import speak

RATE = 16000
GREETING = "Hi, you have reached John Smith. I cannot take your call right now, please leave a message after the tone."


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE))


def noisy(samples: np.ndarray, level: float = 30.0, seed: int = 0) -> np.ndarray:
    return samples.astype(np.float64) + np.random.default_rng(seed).normal(0, level, len(samples))


def in_frames(samples: np.ndarray, frame: int = 320) -> list[np.ndarray]:
    return [samples[start : start + frame] for start in range(0, len(samples), frame)]


@pytest.mark.parametrize("snr_db", [30, 10, 6])
@pytest.mark.parametrize("rate", [8000, 16000])
def test_dtmf_tones_under_noise_are_detected_exactly(rate: int, snr_db: float) -> None:
    tones = dtmf_tones("0123456789*#ABCD", rate).astype(np.float64)
    signal_rms = float(np.sqrt(np.mean(tones[tones != 0] ** 2)))
    audio = noisy(
        np.concatenate([np.zeros(rate // 10), tones]), signal_rms / 10 ** (snr_db / 20), seed=snr_db
    )
    detector = DtmfDetector(rate)
    digits = [digit for frame in in_frames(audio, rate // 50) for digit in detector.push(frame)]
    assert "".join(d.digit for d in digits) == "0123456789*#ABCD"
    first_start = 0.1
    assert digits[0].detected_at - first_start < 0.08  # two 25.6 ms blocks plus alignment


def test_dtmf_between_speech_is_detected_and_speech_gives_no_digits() -> None:
    words = speak("Please enter your account number after the tone, then press pound.")
    audio = noisy(np.concatenate([words, silence(0.3), dtmf_tones("4071#", RATE), silence(0.2), words]))
    detector = DtmfDetector(RATE)
    assert "".join(d.digit for frame in in_frames(audio) for d in detector.push(frame)) == "4071#"
    speech_only = DtmfDetector(RATE)
    assert [
        d for frame in in_frames(noisy(np.concatenate([words, words]))) for d in speech_only.push(frame)
    ] == []


def test_a_held_key_is_one_digit_and_a_repeated_key_is_two() -> None:
    detector = DtmfDetector(RATE)
    held = dtmf_tones("5", RATE, tone_seconds=0.6)
    repeated = dtmf_tones("55", RATE)
    digits = [d.digit for d in detector.push(np.concatenate([held, repeated]))]
    assert digits == ["5", "5", "5"]


def test_dtmf_generator_rejects_bad_digits() -> None:
    with pytest.raises(ValueError, match="not a DTMF digit"):
        dtmf_tones("12x", RATE)


def classify(audio: np.ndarray) -> MachineDetector:
    detector = MachineDetector(sample_rate=RATE)
    for frame in in_frames(noisy(audio)):
        if detector.push_audio(frame):
            break
    return detector


@pytest.mark.parametrize("hello", ["Hello?", "Yeah?", "Hello, this is Mark."])
def test_a_short_hello_then_silence_is_a_human(hello: str) -> None:
    decision = classify(np.concatenate([silence(0.5), speak(hello), silence(3)])).decision
    assert decision is not None and decision.answered_by is AnsweredBy.HUMAN
    assert decision.evidence.rule == "short_greeting" and decision.evidence.greeting < 1.5
    assert decision.decided_at < 3.0


@pytest.mark.parametrize(
    "greeting", [GREETING, "The person you are trying to reach is not available. Please leave a message."]
)
def test_a_long_continuous_greeting_is_a_machine(greeting: str) -> None:
    decision = classify(np.concatenate([silence(0.3), speak(greeting), silence(1)])).decision
    assert decision is not None and decision.answered_by is AnsweredBy.MACHINE
    assert decision.evidence.greeting >= 1.5 and decision.decided_at < 2.5


def test_silence_is_unknown_with_its_evidence() -> None:
    decision = classify(silence(6)).decision
    assert decision is not None and decision.answered_by is AnsweredBy.UNKNOWN
    assert decision.evidence.rule == "initial_silence"


def test_a_greeting_then_a_beep_gives_machine_then_the_beep_time_and_frequency() -> None:
    greeting = speak(GREETING)
    beep_start = 0.3 + len(greeting) / RATE + 0.4
    t = np.arange(round(0.4 * RATE)) / RATE
    beep = np.sin(2 * np.pi * 1000 * t) * 8000
    audio = noisy(np.concatenate([silence(0.3), greeting, silence(0.4), beep, silence(0.5)]))
    amd = MachineDetector(sample_rate=RATE)
    beeps = BeepDetector(RATE)
    found = []
    for frame in in_frames(audio):
        amd.push_audio(frame)
        found.extend(beeps.push(frame))
    assert amd.decision is not None and amd.decision.answered_by is AnsweredBy.MACHINE
    assert len(found) == 1 and abs(found[0].frequency - 1000) < 10
    assert 0.15 <= found[0].detected_at - beep_start < 0.2


def test_no_false_beep_on_speech_short_tones_or_dtmf() -> None:
    detector = BeepDetector(RATE)
    speech = noisy(np.concatenate([speak(GREETING), speak("Mmmmm, ooooh, aaaah.", pitch=20)]))
    jingle = np.concatenate(
        [
            np.sin(2 * np.pi * f * np.arange(round(0.12 * RATE)) / RATE) * 8000
            for f in (523, 659, 784, 1046) * 3
        ]
    )
    keys = dtmf_tones("123456789", RATE, tone_seconds=0.4)
    assert [
        beep for frame in in_frames(np.concatenate([speech, jingle, keys])) for beep in detector.push(frame)
    ] == []


@pytest.mark.parametrize("frequency", [440.0, 1400.0, 1950.0])
def test_beeps_across_the_band_are_found_and_out_of_band_tones_are_not(frequency: float) -> None:
    t = np.arange(round(0.25 * RATE)) / RATE
    tone = np.sin(2 * np.pi * frequency * t) * 6000
    found = list(BeepDetector(RATE).push(noisy(tone)))
    assert len(found) == 1 and abs(found[0].frequency - frequency) < 10
    assert list(BeepDetector(RATE).push(noisy(np.sin(2 * np.pi * 300 * t) * 6000))) == []
    assert list(BeepDetector(RATE).push(noisy(np.sin(2 * np.pi * 2600 * t) * 6000))) == []


def test_twilio_answered_by_maps_to_three_classes() -> None:
    assert answered_by_from_twilio("human") is AnsweredBy.HUMAN
    assert answered_by_from_twilio("machine_end_beep") is AnsweredBy.MACHINE
    assert answered_by_from_twilio("fax") is AnsweredBy.MACHINE
    assert answered_by_from_twilio("unknown") is AnsweredBy.UNKNOWN
