"""Loopback fake of ElevenLabs text-to-speech: HTTP streaming and the two input-streaming websockets.

    async with FakeElevenLabs(api_key="xi-key") as fake:
        client = AsyncElevenLabs(api_key="xi-key", base_url=fake.base_url)
        ws = await websockets.connect(fake.ws_url + "/v1/text-to-speech/v1/multi-stream-input?...")

HTTP and websocket run on two ports: `base_url` (http://127.0.0.1:P) and `ws_url` (ws://127.0.0.1:Q).
Audio is a deterministic tone, `ms_per_char` per character of text, cut every `chars_per_chunk` characters,
with alignment whose character times match that audio. Only `pcm_<rate>` output formats are produced.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import uuid
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from tests.fakes.audio import synthesize
from tests.fakes.chunked import InBandRenderers, stamp_first, stream_chunks
from tests.fakes.elevenlabs_context import SynthSettings
from tests.fakes.elevenlabs_ws import (
    ContextLimits,
    MultiStreamSession,
    SingleStreamSession,
    SocketAuth,
    run_socket,
)
from tests.fakes.faults import FaultPlan, FaultQueue, MalformedKind
from tests.fakes.http import ClientGone, HttpRequest, HttpResponse, HttpServer, LoopbackFake
from tests.fakes.recording import RecordedRequest, new_record
from tests.fakes.wsserver import InBandError, WsOutbox, WsRenderers, WsServer, reject

_TTS_PATH = re.compile(r"^/v1/text-to-speech/(?P<voice>[^/]+)(?P<suffix>/stream|/stream/with-timestamps)?$")
_WS_PATH = re.compile(r"^/v1/text-to-speech/(?P<voice>[^/]+)/(?P<kind>stream-input|multi-stream-input)$")
_PCM_FORMAT = re.compile(r"^pcm_(?P<rate>8000|16000|22050|24000|44100|48000)$")
_DETAILS: dict[int, tuple[str, str]] = {
    400: ("invalid_request", "Invalid request."),
    401: ("invalid_api_key", "Invalid API key"),
    404: ("not_found", "Not found."),
    429: ("too_many_concurrent_requests", "Too many concurrent requests for your subscription."),
}


@dataclass
class ElevenLabsConfig:
    """Behaviour knobs (seconds unless noted); change them on `fake.config` between requests."""

    first_byte_delay: float = 0.0  # per generation: request / trigger -> first audio
    audio_pace: float = 0.0  # wall seconds per audio second (0 = as fast as possible, 1 = real time)
    ms_per_char: int = 60
    chars_per_chunk: int = 5  # characters of text per audio chunk / message
    max_contexts: int = 5  # multi-stream: a new context beyond this -> max_active_conversations, close 1008
    chunks_after_close: int | None = None  # None: a closed context's triggered audio still arrives in full
    final_for_unstarted_close: bool = False  # False (like the service): close before any audio -> no isFinal
    input_timeout: float | None = None  # overrides the inactivity_timeout query parameter (default 20)
    duration_key: str = "charsDurationsMs"  # websocket alignment key; the AsyncAPI spec says charDurationsMs


def error_detail(status: int, message: str | None = None) -> dict[str, Any]:
    kind, default = _DETAILS.get(status, ("internal_server_error", "An internal server error occurred."))
    return {"detail": {"status": kind, "message": message or default}}


def _error_body(status: int) -> bytes:
    return json.dumps(error_detail(status)).encode()


class FakeElevenLabs(LoopbackFake):
    def __init__(self, api_key: str | None = "test-xi-key", config: ElevenLabsConfig | None = None) -> None:
        self.api_key = api_key  # None accepts any key
        self.config = config or ElevenLabsConfig()
        self.faults = FaultQueue()
        self.requests: list[RecordedRequest] = []
        # Loop time at which each response's / context's first audio was handed to the socket (benchmarks).
        self.first_audio_times: list[float] = []
        self._http = HttpServer(self._handle_http)
        self._ws = WsServer(self._serve_ws, self._process_ws_request)
        self._servers = (self._http, self._ws)
        self._pending: dict[uuid.UUID, tuple[RecordedRequest, FaultPlan]] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._http.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self._ws.port}"

    def _settings(self, output_format: str, auto_mode: bool = False) -> SynthSettings | None:
        match = _PCM_FORMAT.match(output_format)
        if match is None:
            return None
        config = self.config
        return SynthSettings(
            sample_rate=int(match["rate"]),
            ms_per_char=config.ms_per_char,
            chars_per_chunk=config.chars_per_chunk,
            first_byte_delay=config.first_byte_delay,
            audio_pace=config.audio_pace,
            duration_key=config.duration_key,
            auto_mode=auto_mode,
        )

    # HTTP -------------------------------------------------------------------------------------------------

    async def _handle_http(self, request: HttpRequest, response: HttpResponse) -> None:
        record = new_record(request.method, request.target, request.headers)
        self.requests.append(record)
        plan = await self.faults.take()
        try:
            await self._answer_http(request, response, record, plan)
        except ClientGone:
            record.disconnected = True
            raise

    async def _answer_http(
        self, request: HttpRequest, response: HttpResponse, record: RecordedRequest, plan: FaultPlan
    ) -> None:
        if plan.reject is not None:
            body = plan.reject.body_or(_error_body)
            await response.send(plan.reject.status, body, "application/json", plan.reject.headers)
            return
        if self.api_key is not None and request.headers.get("xi-api-key") != self.api_key:
            await response.send_json(401, error_detail(401))
            return
        route = _TTS_PATH.match(record.path)
        if request.method != "POST" or route is None:
            await response.send_json(404, error_detail(404))
            return
        record.body = request.json()
        settings = self._settings(record.query.get("output_format", "mp3_44100_128"))
        if settings is None:
            message = "The fake only produces pcm_<rate> output formats."
            await response.send_json(400, error_detail(400, message))
            return
        text = str((record.body or {}).get("text", ""))
        if route["suffix"] == "/stream/with-timestamps":
            await response.start(200, "application/json")
            chunks = self._timestamp_lines(text, settings)
            await stream_chunks(response, plan, chunks, InBandRenderers(malformed=_malformed_line))
        else:
            await response.start(200, "audio/pcm")
            await stream_chunks(response, plan, self._pcm_chunks(text, settings), InBandRenderers())

    async def _pcm_chunks(self, text: str, settings: SynthSettings) -> AsyncGenerator[bytes, None]:
        async for pcm, _ in stamp_first(self._paced(text, settings), self.first_audio_times):
            yield pcm

    async def _timestamp_lines(self, text: str, settings: SynthSettings) -> AsyncGenerator[bytes, None]:
        async for pcm, alignment in stamp_first(self._paced(text, settings), self.first_audio_times):
            line = {"audio_base64": base64.b64encode(pcm).decode(), "alignment": alignment}
            line["normalized_alignment"] = alignment
            yield json.dumps(line).encode() + b"\n"

    async def _paced(
        self, text: str, settings: SynthSettings
    ) -> AsyncGenerator[tuple[bytes, dict[str, Any]], None]:
        """(pcm, alignment with absolute times in seconds) per chunk, after first_byte_delay, paced."""
        if settings.first_byte_delay > 0:
            await asyncio.sleep(settings.first_byte_delay)
        for chunk in synthesize(text, settings.sample_rate, settings.ms_per_char, settings.chars_per_chunk):
            alignment = {
                "characters": list(chunk.chars),
                "character_start_times_seconds": [start / 1000 for start in chunk.start_ms],
                "character_end_times_seconds": [
                    (start + length) / 1000
                    for start, length in zip(chunk.start_ms, chunk.duration_ms, strict=True)
                ],
            }
            yield chunk.pcm, alignment
            if settings.audio_pace > 0:
                await asyncio.sleep(settings.audio_pace * len(chunk.chars) * settings.ms_per_char / 1000)

    # Websocket --------------------------------------------------------------------------------------------

    async def _process_ws_request(self, connection: ServerConnection, request: Request) -> Response | None:
        record = new_record("GET", request.path, dict(request.headers.raw_items()))
        self.requests.append(record)
        plan = await self.faults.take()
        if plan.reject is not None:
            return reject(plan.reject.status, plan.reject.body_or(_error_body), headers=plan.reject.headers)
        if _WS_PATH.match(record.path) is None:
            return reject(404, _error_body(404))
        self._pending[connection.id] = (record, plan)
        return None

    async def _serve_ws(self, connection: ServerConnection) -> None:
        record, plan = self._pending.pop(connection.id)
        route = _WS_PATH.match(record.path)
        assert route is not None
        renderers = WsRenderers(_ws_error, _ws_malformed)
        outbox = WsOutbox(connection, plan, renderers, on_send=_FirstAudioStamps(self.first_audio_times))
        auto_mode = record.query.get("auto_mode", "false").lower() == "true"
        settings = self._settings(record.query.get("output_format", "mp3_44100_128"), auto_mode)
        if settings is None:
            await outbox.close(1008, "The fake only produces pcm_<rate> output formats.")
            return
        session: SingleStreamSession | MultiStreamSession
        if route["kind"] == "multi-stream-input":
            limits = ContextLimits(
                self.config.max_contexts,
                self.config.chunks_after_close,
                self.config.final_for_unstarted_close,
            )
            session = MultiStreamSession(settings, outbox, limits)
        else:
            session = SingleStreamSession(settings, outbox)
        timeout = self.config.input_timeout or float(record.query.get("inactivity_timeout", "20"))
        auth = SocketAuth.from_header(self.api_key, record.headers.get("xi-api-key"))
        await run_socket(connection, session, record, outbox, auth, timeout)


class _FirstAudioStamps:
    """Notes when each context's first audio message is sent."""

    def __init__(self, times: list[float]) -> None:
        self._times = times
        self._started: set[object] = set()

    def __call__(self, message: Mapping[str, Any] | str | bytes) -> None:
        if (
            isinstance(message, Mapping)
            and "audio" in message
            and message.get("contextId") not in self._started
        ):
            self._started.add(message.get("contextId"))
            self._times.append(asyncio.get_running_loop().time())


def _malformed_line(kind: MalformedKind) -> bytes:
    if kind is MalformedKind.UNKNOWN_TYPE:
        return b'{"unexpected": "field"}\n'
    return b'{"audio_base64": "AAAA", "alignment": \n'


def _ws_error(message: str | None) -> InBandError:
    text = message or "An internal server error occurred."
    payload = {"message": text, "error": "internal_server_error", "code": 1011}
    return InBandError(json.dumps(payload), 1011, text[:123])


def _ws_malformed(kind: MalformedKind) -> str:
    if kind is MalformedKind.UNKNOWN_TYPE:
        return json.dumps({"unexpected": "field"})
    return '{"audio": "AAAA", "normalizedAlignment": '
