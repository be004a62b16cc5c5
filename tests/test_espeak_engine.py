"""The espeak-ng engine: audible speech, word timings that map back to the text, options, streaming."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from providers.local.espeak_ctypes import EspeakLibrary
from providers.local.espeak_engine import EspeakEngine, Synthesis, SynthesisChunk
from tests.speech_audio import conversation, speak


@pytest.fixture(scope="module")
def engine() -> EspeakEngine:
    return EspeakEngine.shared()


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if samples.size else 0.0


def _median_pitch_hz(samples: np.ndarray, sample_rate: int) -> float:
    """Median fundamental frequency of the loud 40 ms frames, by autocorrelation (60-400 Hz)."""
    frame = int(0.04 * sample_rate)
    signal = samples.astype(np.float64)
    threshold = 0.5 * _rms(signal)
    lags = np.arange(sample_rate // 400, sample_rate // 60)
    estimates: list[float] = []
    for begin in range(0, signal.size - frame, frame):
        window = signal[begin : begin + frame]
        if _rms(window) < threshold:
            continue
        window = window - window.mean()
        correlation = np.array([np.dot(window[:-lag], window[lag:]) for lag in lags])
        estimates.append(sample_rate / lags[int(np.argmax(correlation))])
    return float(np.median(estimates))


def _check_words(result: Synthesis, expected: list[str]) -> None:
    assert [word.text for word in result.words] == expected
    previous_end = 0.0
    for word in result.words:
        assert result.text[word.char_start : word.char_end] == word.text
        assert previous_end - 0.002 <= word.start_s < word.end_s <= result.duration_s + 1e-9
        previous_end = word.end_s


def test_hello_world_is_audible_speech_of_plausible_length(engine: EspeakEngine) -> None:
    result = engine.synthesize("Hello world.")
    assert engine.sample_rate == result.sample_rate == 22050
    assert result.samples.dtype == np.int16
    assert 0.4 < result.duration_s < 1.5
    assert _rms(result.samples) > 1000
    assert 80 < _median_pitch_hz(result.samples, result.sample_rate) < 250


def test_word_timings_are_ordered_inside_the_audio_and_map_back_to_the_text(engine: EspeakEngine) -> None:
    result = engine.synthesize("Hello world.")
    _check_words(result, ["Hello", "world"])
    hello, world = result.words
    assert hello.start_s < 0.05
    # Both words carry sound: the audio inside each span is clearly louder than silence.
    for word in result.words:
        span = result.samples[round(word.start_s * 22050) : round(word.end_s * 22050)]
        assert _rms(span) > 500
    assert world.end_s > result.duration_s - 0.1


def test_spoken_numbers_and_contractions_keep_one_timing_per_written_word(engine: EspeakEngine) -> None:
    result = engine.synthesize("I have 42 apples, don't you?  Thanks.")
    _check_words(result, ["I", "have", "42", "apples", "don't", "you", "Thanks"])
    # "42" is spoken as two words ("forty two"), so it lasts longer than the monosyllable "I".
    by_text = {word.text: word for word in result.words}
    assert by_text["42"].end_s - by_text["42"].start_s > by_text["I"].end_s - by_text["I"].start_s
    # The comma and the sentence end put audible pauses between words.
    assert by_text["don't"].start_s - by_text["apples"].end_s > 0.05


def test_faster_rate_gives_shorter_audio(engine: EspeakEngine) -> None:
    text = "The quick brown fox jumps over the lazy dog."
    slow = engine.synthesize(text, rate_wpm=120)
    normal = engine.synthesize(text)
    fast = engine.synthesize(text, rate_wpm=300)
    assert slow.duration_s > normal.duration_s > fast.duration_s
    assert slow.duration_s > 1.8 * fast.duration_s


def test_pitch_and_voice_change_the_voice(engine: EspeakEngine) -> None:
    text = "She sells sea shells by the sea shore."
    low = _median_pitch_hz(engine.synthesize(text, pitch=10).samples, engine.sample_rate)
    high = _median_pitch_hz(engine.synthesize(text, pitch=90).samples, engine.sample_rate)
    assert high > 1.3 * low
    default = _median_pitch_hz(engine.synthesize(text).samples, engine.sample_rate)
    female = _median_pitch_hz(engine.synthesize(text, voice="en-us+f3").samples, engine.sample_rate)
    assert female > 1.3 * default
    british = engine.synthesize(text, voice="en-gb")
    assert british.duration_s > 0.5 and [w.text for w in british.words][:2] == ["She", "sells"]


def test_unknown_voice_and_out_of_range_options_are_rejected_clearly(engine: EspeakEngine) -> None:
    with pytest.raises(ValueError, match="martian"):
        engine.synthesize("hello", voice="martian")
    with pytest.raises(ValueError, match="nosuchvariant"):
        engine.synthesize("hello", voice="en-us+nosuchvariant")
    with pytest.raises(ValueError, match="80 and 450"):
        engine.synthesize("hello", rate_wpm=1000)
    with pytest.raises(ValueError, match="rate_wpm"):
        engine.synthesize("hello", rate_wpm=40)
    with pytest.raises(ValueError, match="pitch"):
        engine.synthesize("hello", pitch=101)
    # The engine still works with the voice it had before.
    assert engine.synthesize("hello").duration_s > 0.2


def test_blank_text_gives_no_audio(engine: EspeakEngine) -> None:
    result = engine.synthesize("   ")
    assert result.samples.size == 0 and result.words == []


def test_one_engine_per_process() -> None:
    assert EspeakEngine.shared() is EspeakEngine.shared()
    with pytest.raises(TypeError, match="shared"):
        EspeakEngine(EspeakLibrary())


def test_chunks_stream_contiguous_audio_with_word_starts(engine: EspeakEngine) -> None:
    text = "This reply is long enough to arrive in many chunks. It has two sentences."
    chunks = list(engine.synthesize_chunks(text))
    assert len(chunks) > 10
    position = 0.0
    for chunk in chunks:
        assert chunk.start_s == pytest.approx(position)
        position += chunk.samples.size / chunk.sample_rate
    whole = engine.synthesize(text)
    assert position == pytest.approx(whole.duration_s, abs=0.05)
    starts = [word for chunk in chunks for word in chunk.words]
    assert [word.text for word in starts] == [word.text for word in whole.words]
    for chunk in chunks:
        for word in chunk.words:
            assert chunk.start_s - 0.002 <= word.start_s <= chunk.start_s + chunk.samples.size / 22050 + 0.002


def test_a_sink_can_cancel_synthesis_midway(engine: EspeakEngine) -> None:
    text = "This sentence would take a few seconds to say if nobody interrupted it."
    received: list[SynthesisChunk] = []

    def sink(chunk: SynthesisChunk) -> bool:
        received.append(chunk)
        return len(received) < 3

    result = engine.synthesize_stream(text, sink)
    assert result.cancelled
    assert len(received) == 3
    assert result.duration_s < 0.5 * engine.synthesize(text).duration_s


def test_closing_the_chunk_iterator_early_frees_the_engine(engine: EspeakEngine) -> None:
    chunks = engine.synthesize_chunks(
        "A long sentence that the listener stops hearing after the first chunk."
    )
    first = next(chunks)
    assert first.samples.size > 0
    chunks.close()
    assert engine.synthesize("Still working.").duration_s > 0.3


def test_errors_in_a_sink_propagate(engine: EspeakEngine) -> None:
    def sink(chunk: SynthesisChunk) -> bool:
        raise RuntimeError("sink broke")

    with pytest.raises(RuntimeError, match="sink broke"):
        engine.synthesize_stream("Hello there.", sink)
    assert engine.synthesize("Hello there.").duration_s > 0.3


def test_concurrent_callers_are_serialised(engine: EspeakEngine) -> None:
    texts = [f"Caller number {index} is speaking now." for index in range(4)]
    results: dict[int, Synthesis] = {}

    def run(index: int) -> None:
        results[index] = engine.synthesize(texts[index])

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, text in enumerate(texts):
        assert results[index].text == text
        assert [word.text for word in results[index].words][:2] == ["Caller", "number"]


def test_speak_returns_trimmed_cached_speech_at_the_requested_rate() -> None:
    audio = speak("Hello world.")
    assert audio.dtype == np.int16 and not audio.flags.writeable
    assert speak("Hello world.") is audio
    assert 0.4 < audio.size / 16000 < 1.2
    # Trimmed: speech starts and ends within a few milliseconds of the array edges.
    assert np.abs(audio[:80].astype(np.int32)).max() > 100
    assert np.abs(audio[-80:].astype(np.int32)).max() > 100
    # A separate synthesis (espeak-ng's pitch flutter may shift its length by a few samples), resampled.
    audio_8k = speak("Hello world.", sample_rate=8000)
    assert audio_8k.size == pytest.approx(audio.size / 2, rel=0.02)


def test_conversation_segments_locate_each_spoken_part() -> None:
    track = conversation([0.5, "Hello there.", 1.25, "What is the weather in Paris?", 0.3])
    assert track.sample_rate == 16000
    (start1, end1, text1), (start2, end2, text2) = track.segments
    assert (text1, text2) == ("Hello there.", "What is the weather in Paris?")
    assert start1 == pytest.approx(0.5)
    assert start2 - end1 == pytest.approx(1.25)
    assert track.duration_s == pytest.approx(end2 + 0.3)
    samples = track.samples.astype(np.int32)
    assert not samples[: int(start1 * 16000)].any()
    assert not samples[int(end1 * 16000) + 1 : int(start2 * 16000)].any()
    assert _rms(track.samples[int(start2 * 16000) : int(end2 * 16000)]) > 1000
    assert len(track.pcm()) == 2 * track.samples.size
    with pytest.raises(ValueError, match="pauses"):
        conversation(["hi", -1.0])
