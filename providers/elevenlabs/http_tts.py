"""``elevenlabs-http``: text-to-speech over HTTP streaming with the official SDK, one request per sentence.

Simpler than the websocket (no socket to keep, nothing to close on barge-in but the HTTP response, which closing
the stream does) at the cost of a request per sentence. With ``alignment: true`` it uses
``/stream/with-timestamps`` so the pipeline knows which words the caller heard; otherwise the pipeline spreads
words over each sentence's audio.

One ``AsyncElevenLabs`` (on its own ``httpx.AsyncClient``) per event loop, reused by every reply; ``aclose()``
closes the current loop's. The key is always passed explicitly (the SDK reads ``ELEVENLABS_API_KEY`` at import).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import weakref
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import httpx
import sniffio
from elevenlabs import VoiceSettings as SdkVoiceSettings
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.core.api_error import ApiError

from providers.elevenlabs.alignment import request_alignment
from providers.elevenlabs.errors import ErrorScope, status_error
from providers.elevenlabs.options import ElevenLabsHttpOptions
from providers.errors import ErrorCode, ProviderError
from providers.registry import ProviderSpec
from providers.segment_tts import SegmentTtsStream
from providers.tts import TtsAudio

PROVIDER = "elevenlabs-http"
_CHUNK_BYTES = 4096  # how the SDK slices the raw PCM body (128 ms at 16 kHz)
_CLOSE_TIMEOUT = 1.0
T = TypeVar("T")


@dataclass(frozen=True)
class _Client:
    http: httpx.AsyncClient
    sdk: AsyncElevenLabs


class ElevenLabsHttpTts:
    provider = PROVIDER

    def __init__(self, options: ElevenLabsHttpOptions) -> None:
        self.options = options
        self.model = options.model_id
        self.sample_rate = options.sample_rate
        self._scope = ErrorScope(PROVIDER, options.api_key.get_secret_value())
        wire = options.voice_settings.to_wire()
        self._voice_settings = SdkVoiceSettings(**wire) if wire else None
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Client] = (
            weakref.WeakKeyDictionary()
        )

    @asynccontextmanager
    async def stream(self) -> AsyncIterator[SegmentTtsStream]:
        self._client()  # fail early (and clearly) off asyncio
        yield SegmentTtsStream(self._synthesize)

    async def aclose(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.http.aclose()

    def _client(self) -> _Client:
        if sniffio.current_async_library() != "asyncio":
            raise ProviderError(
                PROVIDER,
                "the ElevenLabs SDK needs an asyncio event loop (run the session on asyncio)",
                code=ErrorCode.UNAVAILABLE,
                recoverable=False,
            )
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            options = self.options
            http = httpx.AsyncClient(timeout=httpx.Timeout(options.timeout), follow_redirects=True)
            sdk = AsyncElevenLabs(
                api_key=options.api_key.get_secret_value(),
                base_url=options.base_url,
                timeout=options.timeout,
                httpx_client=http,
            )
            client = self._clients[loop] = _Client(http, sdk)
        return client

    async def _synthesize(self, text: str) -> AsyncGenerator[TtsAudio, None]:
        chunks = self._timestamped(text) if self.options.alignment else self._raw(text)
        started = False
        try:
            async with aclosing(chunks) as audio:
                async for chunk in audio:
                    started = True
                    yield chunk
        except ApiError as exc:
            raise self._api_error(exc) from exc
        except httpx.TimeoutException as exc:
            where = "between audio chunks" if started else "before the first audio"
            raise self._scope.timeout(f"no data for {self.options.timeout:g} s {where}") from exc
        except httpx.ConnectError as exc:
            raise self._scope.unavailable(f"cannot connect to {self.options.base_url}") from exc
        except httpx.TransportError as exc:  # RemoteProtocolError, ReadError...: the body was cut
            where = "mid-stream" if started else "before the first audio"
            raise self._scope.connection_lost(f"the response ended {where} ({type(exc).__name__})") from exc

    def _request(self, text: str) -> dict[str, Any]:
        options = self.options
        request: dict[str, Any] = {
            "text": text,
            "model_id": options.model_id,
            "output_format": options.output_format,
        }
        if self._voice_settings is not None:
            request["voice_settings"] = self._voice_settings
        return request

    async def _raw(self, text: str) -> AsyncGenerator[TtsAudio, None]:
        sdk = self._client().sdk
        carry = b""  # an odd byte split from its sample by the transport
        stream = sdk.text_to_speech.stream(
            self.options.voice_id, **self._request(text), request_options={"chunk_size": _CHUNK_BYTES}
        )
        async with _closing(stream) as body:
            async for data in body:
                data = carry + data
                usable = len(data) - len(data) % 2
                carry = data[usable:]
                if usable:
                    yield TtsAudio(data[:usable])

    async def _timestamped(self, text: str) -> AsyncGenerator[TtsAudio, None]:
        sdk = self._client().sdk
        rate = self.sample_rate
        played = 0.0  # seconds of audio before the current chunk; the service's times count from the start
        stream = sdk.text_to_speech.stream_with_timestamps(self.options.voice_id, **self._request(text))
        async with _closing(stream) as lines:
            async for line in lines:
                encoded = getattr(line, "audio_base_64", None)
                if not isinstance(encoded, str):
                    continue  # a line the SDK could not read as a chunk (it skips broken JSON itself)
                try:
                    pcm = base64.b64decode(encoded, validate=True)
                    timing = getattr(line, "alignment", None) or getattr(line, "normalized_alignment", None)
                    alignment = (
                        request_alignment(
                            timing.characters,
                            timing.character_start_times_seconds,
                            timing.character_end_times_seconds,
                            played,
                        )
                        if timing is not None
                        else None
                    )
                except (binascii.Error, ValueError, AttributeError, TypeError) as exc:
                    raise self._scope.bad_response(
                        f"an audio chunk with timestamps ({type(exc).__name__})"
                    ) from exc
                played += len(pcm) / 2 / rate
                yield TtsAudio(pcm, alignment)

    def _api_error(self, exc: ApiError) -> ProviderError:
        if exc.status_code is None:
            return self._scope.bad_response("an error without a status code")
        return status_error(self._scope, exc.status_code, exc.body)


@asynccontextmanager
async def _closing(stream: AsyncIterator[T]) -> AsyncIterator[AsyncIterator[T]]:
    """Close the SDK stream (an async generator, and with it the HTTP response) even when leaving by
    cancellation (barge-in): unshielded, the close would itself be cancelled and the response left open."""
    try:
        yield stream
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            with anyio.CancelScope(shield=True), anyio.move_on_after(_CLOSE_TIMEOUT):
                await close()


SPEC = ProviderSpec(
    kind="tts",
    name="elevenlabs-http",
    options=ElevenLabsHttpOptions,
    build=ElevenLabsHttpTts,
    description="ElevenLabs HTTP streaming, one request per sentence (optional word timings)",
)
