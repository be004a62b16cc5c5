"""Audio primitives: frames, conversion, resampling, framing, WAV and mu-law."""

from pipeline.base.audio.frame import (
    SAMPLE_WIDTH,
    AudioFormatError,
    AudioFrame,
    float32_to_pcm16,
    pcm16_to_float32,
)
from pipeline.base.audio.framing import Rechunker, split_frames
from pipeline.base.audio.mulaw import ulaw_decode, ulaw_encode
from pipeline.base.audio.resample import StreamResampler, resample_int16
from pipeline.base.audio.wav import WavInfo, read_wav, wav_bytes, write_stereo_wav, write_wav

__all__ = [
    "SAMPLE_WIDTH",
    "AudioFormatError",
    "AudioFrame",
    "Rechunker",
    "StreamResampler",
    "WavInfo",
    "float32_to_pcm16",
    "pcm16_to_float32",
    "read_wav",
    "resample_int16",
    "split_frames",
    "ulaw_decode",
    "ulaw_encode",
    "wav_bytes",
    "write_stereo_wav",
    "write_wav",
]
