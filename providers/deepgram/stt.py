"""``deepgram``: streaming speech-to-text on Deepgram's ``/v1/listen`` websocket (Nova models).

Interim and final transcripts carry word timings in the caller's media time. ``finalize()`` sends ``Finalize``
and the answer comes back as the one final marked ``from_finalize`` (see ``finalize.py``). Silence gets a
``KeepAlive``; a dropped socket is replaced and the current turn's audio re-sent, so no words are lost.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from deepgram import AsyncDeepgramClient
from pydantic import Field

from providers.deepgram.finalize import FinalizeTracker
from providers.deepgram.nova import NovaDialect
from providers.deepgram.options import DeepgramConnectionOptions
from providers.deepgram.session import SocketStream, open_stream
from providers.registry import ProviderSpec


class DeepgramOptions(DeepgramConnectionOptions):
    model: str = Field("nova-3", description="nova-3, nova-2, nova-3-medical, ...")
    language: str | None = Field(
        "en", description="BCP-47 tag, or 'multi' (nova-3); none: Deepgram's default"
    )
    endpointing_ms: int | None = Field(
        300, ge=10, description="silence (ms) before Deepgram ends an utterance itself; none: disabled"
    )
    interim_results: bool = True
    smart_format: bool = True
    punctuate: bool = True
    keyterms: list[str] = Field(default_factory=list, description="terms to boost (nova-3 keyterm prompting)")
    utterance_end_ms: int | None = Field(
        None, ge=1000, description="UtteranceEnd after this much silence (needs interim_results)"
    )
    vad_events: bool = Field(False, description="ask for SpeechStarted events")
    finalize_timeout: float = Field(
        1.5, gt=0.0, le=10.0, description="no answer to Finalize within this: answer with an empty final"
    )
    finalize_settle: float = Field(
        0.25, ge=0.0, le=2.0, description="wait for more finals after a from_finalize one that ends early"
    )

    def connect_params(self, sample_rate: int) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model,
            "encoding": "linear16",
            "sample_rate": sample_rate,
            "channels": 1,
            "endpointing": self.endpointing_ms if self.endpointing_ms is not None else "false",
            "interim_results": self.interim_results,
            "smart_format": self.smart_format,
            "punctuate": self.punctuate,
            "vad_events": self.vad_events,
        }
        if self.language is not None:
            params["language"] = self.language
        if self.keyterms:
            params["keyterm"] = list(self.keyterms)
        if self.utterance_end_ms is not None and self.interim_results:
            params["utterance_end_ms"] = self.utterance_end_ms
        return params


class DeepgramStt:
    provider = "deepgram"

    def __init__(self, options: DeepgramOptions) -> None:
        self.options = options
        self.model = options.model
        self._client: AsyncDeepgramClient | None = None

    @asynccontextmanager
    async def stream(self, *, sample_rate: int) -> AsyncIterator[SocketStream]:
        options = self.options
        if self._client is None:
            self._client = options.client()
        dialect = NovaDialect(
            self.provider,
            self._client,
            options.connect_params(sample_rate),
            FinalizeTracker(timeout=options.finalize_timeout, settle=options.finalize_settle),
        )
        async with open_stream(dialect, options.stream_settings(self.provider, sample_rate)) as stream:
            yield stream


SPEC = ProviderSpec(
    kind="stt",
    name="deepgram",
    options=DeepgramOptions,
    build=DeepgramStt,
    description="Deepgram streaming speech-to-text (Nova models, /v1/listen websocket)",
)
