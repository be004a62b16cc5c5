"""The audio edge of a phone call: G.711 payloads (8 kHz) in and out of the pipeline's PCM16 frames.

Inbound audio is decoded and brought to the pipeline rate (an integer multiple of 8 kHz) with a ~2 ms FIR, in
frames stamped with their media time. Outbound frames (pipeline rate) are decimated to 8 kHz the same way and
encoded to μ-law. With an 8 kHz pipeline both steps are no-ops.
"""

from __future__ import annotations

from pipeline.base.audio import AudioFrame, ulaw_decode, ulaw_encode
from pipeline.base.audio.alaw import alaw_decode
from pipeline.transports.telephony.edge_resample import Decimator, Interpolator, integer_factor
from pipeline.transports.telephony.messages import TelephonyMessageError

PHONE_RATE = 8000
ULAW_SILENCE = 0xFF  # μ-law silence is 0xFF, not 0x00


class PhoneAudioIn:
    """Decodes caller payloads to PCM16 frames on a running media clock."""

    def __init__(self, encoding: str, sample_rate: int = PHONE_RATE, pipeline_rate: int = PHONE_RATE) -> None:
        if encoding not in ("mulaw", "alaw"):
            raise TelephonyMessageError(f"unsupported phone audio encoding {encoding!r}")
        if sample_rate != PHONE_RATE:
            raise TelephonyMessageError(f"G.711 audio is 8000 Hz, the stream says {sample_rate} Hz")
        self._decode = ulaw_decode if encoding == "mulaw" else alaw_decode
        self._media_time = 0.0
        self._rate = pipeline_rate
        self._interpolator = Interpolator(integer_factor(pipeline_rate, PHONE_RATE))

    def decode(self, payload: bytes) -> AudioFrame:
        samples = self._interpolator.process(self._decode(payload))
        frame = AudioFrame.from_int16(samples, self._rate, self._media_time)
        self._media_time += frame.duration
        return frame


class PhoneAudioOut:
    """Encodes agent frames (any rate) to μ-law 8 kHz payloads."""

    def __init__(self, pipeline_rate: int) -> None:
        self._pipeline_rate = pipeline_rate
        self._decimator = Decimator(integer_factor(pipeline_rate, PHONE_RATE))

    def encode(self, frame: AudioFrame) -> bytes:
        if frame.sample_rate != self._pipeline_rate:
            raise ValueError(f"agent audio at {frame.sample_rate} Hz, expected {self._pipeline_rate} Hz")
        return ulaw_encode(self._decimator.process(frame.to_int16()))

    def reset(self) -> None:
        """After a clear: start a fresh filter, so no tail of the cleared speech leaks into the next one."""
        self._decimator = Decimator(self._decimator.factor)
