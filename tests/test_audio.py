"""Audio primitives: frame validation and conversion, resampling (one-shot and streamed), re-chunking, WAV
reading/writing and G.711 mu-law."""

from __future__ import annotations

import io
import itertools
import wave
from pathlib import Path

import anyio
import numpy as np
import pytest

from pipeline.base.audio import (
    AudioFormatError,
    AudioFrame,
    Rechunker,
    StreamResampler,
    float32_to_pcm16,
    pcm16_to_float32,
    read_wav,
    resample_int16,
    split_frames,
    ulaw_decode,
    ulaw_encode,
    wav_bytes,
    write_stereo_wav,
    write_wav,
)


def sine(freq: float, seconds: float, rate: int, amplitude: float = 8000.0) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return np.round(amplitude * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def peak_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


def raw_wav(frames: bytes, *, channels: int, width: int, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return buffer.getvalue()


# --- AudioFrame ----------------------------------------------------------------------------------------------


def test_frame_rejects_odd_byte_count() -> None:
    with pytest.raises(AudioFormatError, match="even number of bytes, got 3"):
        AudioFrame(b"\x00\x01\x02", 16000)


@pytest.mark.parametrize("rate", [0, -8000])
def test_frame_rejects_non_positive_rate(rate: int) -> None:
    with pytest.raises(AudioFormatError, match=f"sample rate must be positive, got {rate}"):
        AudioFrame(b"\x00\x00", rate)


def test_audio_format_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        AudioFrame(b"\x00", 16000)


def test_frame_duration_and_end_time() -> None:
    frame = AudioFrame(bytes(640), 16000, timestamp=1.5)
    assert frame.samples == 320
    assert frame.duration == pytest.approx(0.02)
    assert frame.end_time == pytest.approx(1.52)


def test_frame_int16_round_trip_is_little_endian() -> None:
    samples = np.array([0, 1, -1, 32767, -32768, 258], dtype=np.int16)
    frame = AudioFrame.from_int16(samples, 8000, 0.25)
    assert frame.pcm[:4] == b"\x00\x00\x01\x00"
    assert frame.pcm[-2:] == b"\x02\x01"  # 258 = 0x0102, little-endian
    np.testing.assert_array_equal(frame.to_int16(), samples)
    assert frame.timestamp == 0.25
    assert frame.sample_rate == 8000


def test_frame_float_conversions_scale_and_clip() -> None:
    frame = AudioFrame.from_float32(np.array([0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -3.0]), 16000)
    np.testing.assert_array_equal(frame.to_int16(), [0, 16384, -16384, 32767, -32767, 32767, -32767])
    floats = AudioFrame.from_int16(np.array([-32768, 0, 16384]), 16000).to_float32()
    assert floats.dtype == np.float32
    np.testing.assert_allclose(floats, [-1.0, 0.0, 0.5])


def test_pcm_float_helpers_round_trip_within_one_step() -> None:
    # int16 -> float divides by 32768 but float -> int16 multiplies by 32767 (the libsndfile convention), so a
    # round trip is exact for small values and at most one step off near full scale.
    samples = np.arange(-32768, 32768, 7, dtype=np.int16)
    back = float32_to_pcm16(pcm16_to_float32(samples)).astype(np.int32)
    assert np.max(np.abs(back - samples)) == 1
    small = np.array([-1000, -1, 0, 1, 1000], dtype=np.int16)
    np.testing.assert_array_equal(float32_to_pcm16(pcm16_to_float32(small)), small)


def test_silence_frame() -> None:
    frame = AudioFrame.silence(0.03, 16000, timestamp=2.0)
    assert frame.samples == 480
    assert not frame.to_int16().any()
    assert frame.timestamp == 2.0


# --- resampling ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_rate", "to_rate"), [(16000, 8000), (8000, 16000), (24000, 16000), (16000, 48000)]
)
def test_resample_keeps_frequency_and_length(from_rate: int, to_rate: int) -> None:
    source = sine(440.0, 1.0, from_rate)
    out = resample_int16(source, from_rate, to_rate)
    assert out.dtype == np.int16
    assert len(out) == to_rate  # one second in, one second out
    assert peak_frequency(out, to_rate) == pytest.approx(440.0, abs=2.0)
    # amplitude is kept (away from the edges)
    assert np.max(np.abs(out[to_rate // 4 : -to_rate // 4])) == pytest.approx(8000, rel=0.02)


def test_resample_same_rate_and_empty_are_passthrough() -> None:
    source = sine(300.0, 0.1, 16000)
    np.testing.assert_array_equal(resample_int16(source, 16000, 16000), source)
    assert resample_int16(np.zeros(0, dtype=np.int16), 16000, 8000).size == 0


def test_stream_resampler_matches_one_shot_and_timestamps_are_continuous() -> None:
    rate_in, rate_out = 16000, 8000
    source = sine(440.0, 1.0, rate_in)
    resampler = StreamResampler(rate_in, rate_out)
    start = 100.0
    outputs = []
    for offset in range(0, len(source), 320):
        frame = AudioFrame.from_int16(source[offset : offset + 320], rate_in, start + offset / rate_in)
        outputs.append(resampler.process(frame))
    outputs.append(resampler.flush())

    assert all(frame.sample_rate == rate_out for frame in outputs)
    assert outputs[0].timestamp == start
    for previous, current in itertools.pairwise(outputs):
        assert current.timestamp == pytest.approx(previous.end_time, abs=1e-9)
    streamed = np.concatenate([frame.to_int16() for frame in outputs])
    assert len(streamed) == rate_out
    assert outputs[-1].end_time == pytest.approx(start + 1.0, abs=1e-9)
    one_shot = resample_int16(source, rate_in, rate_out)
    assert np.max(np.abs(streamed.astype(int) - one_shot.astype(int))) <= 16  # ~ -54 dB of the signal
    assert peak_frequency(streamed, rate_out) == pytest.approx(440.0, abs=2.0)


def test_stream_resampler_last_chunk_drains_the_tail() -> None:
    source = sine(1000.0, 0.5, 16000)
    resampler = StreamResampler(16000, 24000)
    chunks = [source[i : i + 160] for i in range(0, len(source), 160)]
    total = sum(
        resampler.process(AudioFrame.from_int16(chunk, 16000), last=index == len(chunks) - 1).samples
        for index, chunk in enumerate(chunks)
    )
    assert total == 12000


def test_stream_resampler_flush_after_last_chunk_is_harmless() -> None:
    resampler = StreamResampler(16000, 8000)
    resampler.process(AudioFrame.from_int16(sine(440.0, 0.1, 16000), 16000), last=True)
    assert resampler.flush().samples == 0


def test_stream_resampler_same_rate_passes_frames_through() -> None:
    resampler = StreamResampler(16000, 16000)
    frame = AudioFrame.from_int16(sine(440.0, 0.02, 16000), 16000, 3.0)
    assert resampler.process(frame) is frame
    tail = resampler.flush()
    assert tail.samples == 0
    assert tail.sample_rate == 16000


def test_stream_resampler_rejects_wrong_input_rate() -> None:
    resampler = StreamResampler(16000, 8000)
    with pytest.raises(ValueError, match="expects 16000 Hz audio, got 8000 Hz"):
        resampler.process(AudioFrame(bytes(320), 8000))


# --- re-chunking ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_sizes", [[1], [7, 333], [320], [1000, 3, 17], [5000]])
def test_rechunker_exact_frames_whatever_the_input_chunking(chunk_sizes: list[int]) -> None:
    samples = np.arange(5000, dtype=np.int16)
    chunker = Rechunker(16000, 320, start_time=10.0)
    frames: list[AudioFrame] = []
    offset, index = 0, 0
    while offset < len(samples):
        size = chunk_sizes[index % len(chunk_sizes)]
        frames += chunker.push(samples[offset : offset + size].tobytes())
        offset += size
        index += 1
    assert len(frames) == 15  # 5000 // 320
    assert chunker.pending_samples == 5000 - 15 * 320
    assert all(frame.samples == 320 for frame in frames)
    assert [frame.timestamp for frame in frames] == pytest.approx([10.0 + i * 0.02 for i in range(15)])
    np.testing.assert_array_equal(np.concatenate([f.to_int16() for f in frames]), samples[: 15 * 320])

    (last,) = chunker.flush()
    assert last.samples == 320  # padded to a full frame
    assert last.timestamp == pytest.approx(10.0 + 15 * 0.02)
    np.testing.assert_array_equal(last.to_int16()[:200], samples[15 * 320 :])
    assert not last.to_int16()[200:].any()
    assert chunker.pending_samples == 0
    assert list(chunker.flush()) == []


def test_rechunker_flush_without_pad_and_when_empty() -> None:
    chunker = Rechunker.for_duration(8000, 20)
    assert chunker.frame_samples == 160
    assert list(chunker.push(bytes(100))) == []
    (rest,) = chunker.flush(pad=False)
    assert rest.samples == 50
    assert list(chunker.flush()) == []


def test_rechunker_rejects_non_positive_frame_size() -> None:
    with pytest.raises(ValueError, match="frame_samples must be positive"):
        Rechunker(16000, 0)


def test_split_frames_pads_the_last_frame() -> None:
    frame = AudioFrame.from_int16(np.ones(700, dtype=np.int16), 16000, timestamp=4.0)
    frames = split_frames(frame, 20)
    assert [f.samples for f in frames] == [320, 320, 320]
    assert [f.timestamp for f in frames] == pytest.approx([4.0, 4.02, 4.04])
    assert int(frames[-1].to_int16().sum()) == 700 - 640


# --- WAV -----------------------------------------------------------------------------------------------------


def test_read_wav_mono_16_bit(tmp_path: Path) -> None:
    samples = sine(440.0, 0.1, 16000)
    path = tmp_path / "mono.wav"
    write_wav(path, samples, 16000)
    frame, info = read_wav(path)
    assert (info.channels, info.sample_width, info.sample_rate, info.frames) == (1, 2, 16000, 1600)
    assert frame.sample_rate == 16000
    assert frame.timestamp == 0.0
    np.testing.assert_array_equal(frame.to_int16(), samples)


def test_read_wav_downmixes_stereo() -> None:
    left = np.array([1000, -2000, 32767, 10], dtype=np.int16)
    right = np.array([3000, -4000, 32767, -10], dtype=np.int16)
    data = wav_bytes(np.stack([left, right], axis=1), 8000)
    frame, info = read_wav(data)
    assert info.channels == 2
    np.testing.assert_array_equal(frame.to_int16(), [2000, -3000, 32767, 0])


def test_read_wav_8_bit_unsigned() -> None:
    frame, info = read_wav(raw_wav(bytes([128, 255, 0, 192]), channels=1, width=1, rate=8000))
    assert info.sample_width == 1
    np.testing.assert_array_equal(frame.to_int16(), [0, 127 * 256, -32768, 64 * 256])


def test_read_wav_24_bit() -> None:
    values = [0, 0x7FFFFF, -0x800000, 0x123456, -256]
    raw = b"".join(value.to_bytes(3, "little", signed=True) for value in values)
    frame, info = read_wav(raw_wav(raw, channels=1, width=3, rate=16000))
    assert info.sample_width == 3
    np.testing.assert_array_equal(frame.to_int16(), [0, 32767, -32768, 0x1234, -1])


def test_read_wav_32_bit() -> None:
    values = np.array([0, 2**31 - 1, -(2**31), 0x12345678, -65536], dtype="<i4")
    frame, info = read_wav(raw_wav(values.tobytes(), channels=1, width=4, rate=16000))
    assert info.sample_width == 4
    np.testing.assert_array_equal(frame.to_int16(), [0, 32767, -32768, 0x1234, -1])


def test_read_wav_resamples_to_the_requested_rate() -> None:
    data = wav_bytes(sine(440.0, 1.0, 8000), 8000)
    frame, info = read_wav(data, sample_rate=16000)
    assert info.sample_rate == 8000
    assert frame.sample_rate == 16000
    assert frame.samples == 16000
    assert peak_frequency(frame.to_int16(), 16000) == pytest.approx(440.0, abs=2.0)


def test_read_wav_not_a_wav(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_bytes(b"this is plainly some text, not audio at all")
    with pytest.raises(AudioFormatError, match=r"notes\.wav: not a WAV file \(no RIFF/WAVE header\)"):
        read_wav(path)


def test_read_wav_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioFormatError, match=r"empty\.wav: the file is empty"):
        read_wav(path)


def test_read_wav_zero_frames() -> None:
    with pytest.raises(AudioFormatError, match=r"<bytes>: the WAV file contains no audio"):
        read_wav(raw_wav(b"", channels=1, width=2, rate=16000))


def test_read_wav_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.wav"
    with pytest.raises(AudioFormatError, match=r"nowhere\.wav: no such file"):
        read_wav(path)


def test_read_wav_directory(tmp_path: Path) -> None:
    with pytest.raises(AudioFormatError, match="is a directory, not a WAV file"):
        read_wav(tmp_path)


def test_read_wav_float_format_is_named_unreadable() -> None:
    data = bytearray(wav_bytes(np.zeros(4, dtype=np.int16), 16000))
    data[20:22] = (3).to_bytes(2, "little")  # WAVE_FORMAT_IEEE_FLOAT
    with pytest.raises(AudioFormatError, match=r"unreadable WAV .*only integer PCM WAV files are supported"):
        read_wav(bytes(data))


def test_write_stereo_wav_round_trip(tmp_path: Path) -> None:
    left = np.array([100, 200, 300, 400], dtype=np.int16)
    right = np.array([-1, -2], dtype=np.int16)
    path = tmp_path / "call.wav"
    write_stereo_wav(path, left, right, 8000)
    with wave.open(str(path), "rb") as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (2, 2, 8000)
        interleaved = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2").reshape(-1, 2)
    np.testing.assert_array_equal(interleaved[:, 0], left)
    np.testing.assert_array_equal(interleaved[:, 1], [-1, -2, 0, 0])  # the shorter track padded
    frame, info = read_wav(path)
    assert (info.channels, info.frames) == (2, 4)
    np.testing.assert_array_equal(frame.to_int16(), [50, 99, 150, 200])  # mean of the two, rounded half-even


# --- mu-law --------------------------------------------------------------------------------------------------

_SEG_UEND = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)


def reference_linear2ulaw(sample: int) -> int:
    """The CCITT G.711 encoder, scalar, as in Sun's g711.c / CPython's audioop (16-bit in, 14-bit inside)."""
    pcm = sample >> 2
    if pcm < 0:
        pcm, mask = -pcm, 0x7F
    else:
        mask = 0xFF
    pcm = min(pcm, 8159) + 0x21
    segment = 8
    for index, end in enumerate(_SEG_UEND):
        if pcm <= end:
            segment = index
            break
    if segment >= 8:
        return 0x7F ^ mask
    return ((segment << 4) | ((pcm >> (segment + 1)) & 0x0F)) ^ mask


def reference_ulaw2linear(code: int) -> int:
    code = ~code & 0xFF
    magnitude = (((code & 0x0F) << 3) + 0x84) << ((code & 0x70) >> 4)
    return 0x84 - magnitude if code & 0x80 else magnitude - 0x84


def test_ulaw_decode_known_values() -> None:
    decoded = ulaw_decode(bytes([0xFF, 0x7F, 0x00, 0x80, 0x7E, 0xFE, 0xEF, 0x6F]))
    assert decoded.dtype == np.int16
    assert decoded.tolist() == [0, 0, -32124, 32124, -8, 8, 132, -132]


def test_ulaw_decode_matches_the_reference_table() -> None:
    decoded = ulaw_decode(bytes(range(256)))
    assert decoded.tolist() == [reference_ulaw2linear(code) for code in range(256)]


@pytest.mark.parametrize(("sample", "code"), [(0, 0xFF), (-1, 0x7E), (32767, 0x80), (-32768, 0x00)])
def test_ulaw_encode_edge_values_match_g711(sample: int, code: int) -> None:
    assert reference_linear2ulaw(sample) == code
    assert ulaw_encode(np.array([sample], dtype=np.int16)) == bytes([code])


def test_ulaw_encode_is_bit_exact_over_the_whole_range() -> None:
    samples = np.arange(-32768, 32768, dtype=np.int32)
    expected = bytes(reference_linear2ulaw(int(s)) for s in samples)
    assert ulaw_encode(samples.astype(np.int16)) == expected


def test_ulaw_round_trip_error_is_bounded() -> None:
    samples = np.arange(-32768, 32768, dtype=np.int32)
    decoded = ulaw_decode(ulaw_encode(samples.astype(np.int16))).astype(np.int32)
    error = np.abs(decoded - samples)
    # G.711: about half a quantisation step (1/32 of the magnitude) plus the small-signal step
    assert np.all(error <= 8 + np.abs(samples) / 32)
    assert error.max() == 644  # -32768 -> -32124, the clip level
    assert len(ulaw_encode(samples.astype(np.int16))) == len(samples)  # one byte per sample


@pytest.mark.anyio
async def test_pacer_keeps_a_real_time_source_on_its_deadline_grid() -> None:
    """Work between frames (here 5 ms of it) must not add up: 100 frames of 20 ms take 2 s (after the first
    send, 5 ms in), not 2.5 s."""
    from pipeline.base.clock import Pacer

    pacer = Pacer()
    started = anyio.current_time()
    for _ in range(100):
        await anyio.sleep(0.005)  # pushing the frame, a busy event loop
        await pacer.wait_after(0.02)
    assert anyio.current_time() - started == pytest.approx(0.005 + 2.0)
