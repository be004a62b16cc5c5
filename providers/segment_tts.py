"""Turns a one-segment-at-a-time synthesizer (local engines, HTTP streaming APIs) into a ``TtsStream``.

Segments are synthesized in order as they are pushed; the consumer pulling ``outputs()`` drives synthesis,
so nothing runs ahead of a reply that has been cancelled.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing

from pipeline.base.channel import Channel
from providers.tts import TtsAudio, TtsOutput, TtsSegmentEnd

SegmentSynthesizer = Callable[[str], AsyncGenerator[TtsAudio, None]]


class SegmentTtsStream:
    def __init__(self, synthesize: SegmentSynthesizer, *, max_pending_segments: int = 16) -> None:
        self._synthesize = synthesize
        self._segments: Channel[str] = Channel("tts-segments", max_pending_segments)

    async def push_text(self, text: str) -> None:
        if text.strip():
            await self._segments.send(text)

    async def end_input(self) -> None:
        self._segments.close()

    async def outputs(self) -> AsyncGenerator[TtsOutput, None]:
        async for text in self._segments:
            async with aclosing(self._synthesize(text)) as audio:
                async for chunk in audio:
                    yield chunk
            yield TtsSegmentEnd(text)
