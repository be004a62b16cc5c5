"""Accuracy and timing of the phone DSP on generated audio: in-band DTMF (Goertzel), answering-machine detection
and voicemail-beep detection.

* DTMF: random 8-digit strings at 8 and 16 kHz, tone/gap 60-100 ms, white noise at several SNRs, some strings
  between espeak-ng speech; digit-exact accuracy, detection latency after each tone starts, CPU per audio second.
* AMD: generated callees — short greetings then silence (human), long greetings (machine), silence (unknown) —
  with several voices, rates and line noise; accuracy and decision time.
* Beep: tones of 400-2000 Hz after a greeting; delay from the tone's start to detection; false beeps on speech,
  short jingles and DTMF.

    uv run python -m benchmarks.phone_dsp
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from pipeline.base.phone.amd import AnsweredBy, MachineDetector
from pipeline.base.phone.beep import BeepDetector
from pipeline.base.phone.dtmf import DtmfDetector, dtmf_tones
from tests.speech_audio import speak

DIGITS = "0123456789*#ABCD"
HUMAN = ["Hello?", "Yeah?", "Hi, this is Mark.", "Hello, who is this?", "Speaking.", "Hello, Sarah speaking."]
MACHINE = [
    "Hi, you have reached John Smith. I cannot take your call right now, please leave a message after the tone.",
    "The person you are trying to reach is not available. Please leave a message.",
    "Thank you for calling Acme Dental. Our office is currently closed. Please leave your name and number.",
    "Hey, it's Dana. Leave me a message and I'll call you back.",
    "You have reached the voicemail of extension four two one. Please leave a message.",
]
VOICES = [("en-us", 175, 50), ("en-gb-x-rp", 160, 40), ("en-us", 210, 70)]


def frames(samples: np.ndarray, size: int) -> list[np.ndarray]:
    return [samples[i : i + size] for i in range(0, len(samples), size)]


def dtmf_benchmark(rng: np.random.Generator) -> None:
    for rate in (8000, 16000):
        for snr in (20, 10, 6):
            exact, total, latencies, cpu, audio = 0, 0, [], 0.0, 0.0
            for trial in range(25):
                digits = "".join(rng.choice(list(DIGITS), 8))
                tone_s, gap_s = rng.uniform(0.06, 0.1), rng.uniform(0.06, 0.1)
                tones = dtmf_tones(digits, rate, tone_seconds=tone_s, gap_seconds=gap_s).astype(np.float64)
                lead = np.zeros(round(rng.uniform(0.05, 0.3) * rate))
                if trial % 3 == 0:  # between speech
                    lead = np.concatenate(
                        [speak("Please enter your account number.", rate).astype(np.float64), lead]
                    )
                signal = np.concatenate([lead, tones, np.zeros(rate // 5)])
                tone_rms = float(np.sqrt(np.mean(tones[tones != 0] ** 2)))
                signal += rng.normal(0, tone_rms / 10 ** (snr / 20), len(signal))
                detector = DtmfDetector(rate)
                started = time.process_time()
                found = [d for chunk in frames(signal, rate // 50) for d in detector.push(chunk)]
                cpu += time.process_time() - started
                audio += len(signal) / rate
                total += 1
                exact += "".join(d.digit for d in found) == digits
                onsets = [len(lead) / rate + i * (tone_s + gap_s) for i in range(len(digits))]
                latencies += [d.detected_at - onset for d, onset in zip(found, onsets, strict=False)]
            print(
                f"DTMF {rate} Hz, SNR {snr} dB: {exact}/{total} strings exact; latency after tone start "
                f"p50 {np.percentile(latencies, 50) * 1000:.0f} ms, p95 {np.percentile(latencies, 95) * 1000:.0f} ms; "
                f"CPU {cpu / audio * 1000:.2f} ms per audio second"
            )


def classify(audio: np.ndarray, rate: int) -> tuple[AnsweredBy, float]:
    detector = MachineDetector(sample_rate=rate)
    for chunk in frames(audio, rate // 50):
        decision = detector.push_audio(chunk)
        if decision is not None:
            return decision.answered_by, decision.decided_at
    return AnsweredBy.UNKNOWN, len(audio) / rate


def amd_benchmark(rng: np.random.Generator) -> None:
    rate = 8000
    results: dict[str, list[tuple[bool, float]]] = {"human": [], "machine": [], "unknown": []}
    for voice, wpm, pitch in VOICES:
        for noise in (20.0, 150.0):
            for text in HUMAN:
                lead = np.zeros(round(rng.uniform(0.2, 1.0) * rate))
                audio = np.concatenate(
                    [lead, speak(text, rate, voice, wpm, pitch), np.zeros(rate * 3)]
                ).astype(float)
                got, at = classify(audio + rng.normal(0, noise, len(audio)), rate)
                results["human"].append((got is AnsweredBy.HUMAN, at))
            for text in MACHINE:
                lead = np.zeros(round(rng.uniform(0.2, 1.0) * rate))
                audio = np.concatenate([lead, speak(text, rate, voice, wpm, pitch), np.zeros(rate)]).astype(
                    float
                )
                got, at = classify(audio + rng.normal(0, noise, len(audio)), rate)
                results["machine"].append((got is AnsweredBy.MACHINE, at))
            got, at = classify(rng.normal(0, noise, rate * 6), rate)
            results["unknown"].append((got is AnsweredBy.UNKNOWN, at))
    for label, rows in results.items():
        correct = sum(ok for ok, _ in rows)
        times = [at for _, at in rows]
        print(
            f"AMD {label}: {correct}/{len(rows)} correct; decision time after answer median "
            f"{statistics.median(times):.2f} s, max {max(times):.2f} s"
        )


def beep_benchmark(rng: np.random.Generator) -> None:
    rate = 8000
    delays = []
    for frequency in (440, 600, 850, 1000, 1400, 1800, 1950):
        greeting = speak(MACHINE[int(rng.integers(len(MACHINE)))], rate).astype(float)
        start = len(greeting) / rate + 0.3
        t = np.arange(round(0.5 * rate)) / rate
        beep = np.sin(2 * np.pi * frequency * t) * rng.uniform(2000, 12000)
        audio = np.concatenate([greeting, np.zeros(round(0.3 * rate)), beep, np.zeros(rate // 2)])
        audio += rng.normal(0, 50, len(audio))
        detector = BeepDetector(rate)
        found = [b for chunk in frames(audio, 160) for b in detector.push(chunk)]
        assert len(found) == 1 and abs(found[0].frequency - frequency) < 15, (frequency, found)
        delays.append(found[0].detected_at - start)
    false = 0
    detector = BeepDetector(rate)
    negatives = [speak(text, rate).astype(float) for text in HUMAN + MACHINE]
    negatives.append(dtmf_tones("0123456789*#", rate, tone_seconds=0.3).astype(float))
    negatives.append(
        np.concatenate(
            [
                np.sin(2 * np.pi * f * np.arange(round(0.12 * rate)) / rate) * 8000
                for f in (523, 659, 784, 1046) * 4
            ]
        )
    )
    for audio in negatives:
        false += sum(1 for chunk in frames(audio, 160) for _ in detector.push(chunk))
    seconds = sum(len(a) for a in negatives) / rate
    print(
        f"beep: 7/7 detected, delay after the tone starts median {statistics.median(delays) * 1000:.0f} ms, "
        f"max {max(delays) * 1000:.0f} ms; false beeps: {false} in {seconds:.0f} s of speech, jingles and DTMF"
    )


def main() -> None:
    rng = np.random.default_rng(7)
    dtmf_benchmark(rng)
    amd_benchmark(rng)
    beep_benchmark(rng)


if __name__ == "__main__":
    main()
