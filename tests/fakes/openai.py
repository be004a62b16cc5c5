"""Loopback fake of the OpenAI HTTP API (and OpenAI-compatible servers).

    async with FakeOpenAI(api_key="sk-test") as fake:
        fake.replies.push(ChatReply.of("Hi there!"))
        client = AsyncOpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0)

Serves `POST /v1/chat/completions` (SSE or JSON), `POST /v1/audio/speech` (chunked PCM / WAV),
`POST /v1/audio/transcriptions` (multipart; JSON, text or SSE) and `GET /v1/models`. Bearer auth is checked
when `api_key` is set. Knobs live in `fake.config`, faults in `fake.faults`, and `fake.requests` records
every request (parsed JSON or form body, query, headers); `fake.uploads` keeps the uploaded audio files'
bytes and `fake.first_body_times` the loop time at which each response's body started (for benchmarks).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.chunked import InBandRenderers, stamp_first, stream_chunks
from tests.fakes.faults import FaultPlan, FaultQueue, MalformedKind
from tests.fakes.http import ClientGone, HttpRequest, HttpResponse, HttpServer, LoopbackFake
from tests.fakes.openai_audio import (
    SPEECH_CONTENT_TYPES,
    SpeechTiming,
    form_summary,
    parse_multipart,
    speech_chunks,
    transcription_events,
)
from tests.fakes.openai_chat import ChatQuirks, Pacing, ReplyScript, chat_events, completion_json
from tests.fakes.recording import RecordedRequest, new_record
from tests.fakes.sse import SseStyle, sse_data, sse_json
from tests.fakes.transcripts import TranscriptScript

_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request.", "invalid_request_error", None),
    401: ("Incorrect API key provided", "invalid_request_error", "invalid_api_key"),
    403: ("You are not allowed to sample from this model", "invalid_request_error", None),
    404: ("Invalid URL", "invalid_request_error", None),
    429: ("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request. Sorry about that!", "server_error", None),
    503: ("The engine is currently overloaded, please try again later", "server_error", None),
}


@dataclass
class OpenAIConfig:
    """Behaviour knobs (seconds unless noted); change them on `fake.config` between requests."""

    first_token_delay: float = 0.0  # after the response head, before the first SSE chunk
    tokens_per_second: float = 0.0  # pacing of content / argument chunks (0 = no pacing)
    speech_first_byte_delay: float = 0.0
    speech_audio_pace: float = 0.0  # wall seconds per audio second (0 = as fast as possible)
    speech_ms_per_char: int = 60
    speech_chunk_ms: int = 100
    speech_chunk_bytes: int = 0  # > 0: re-cut the speech body into pieces of this many bytes (odd splits)
    quirks: ChatQuirks = field(default_factory=ChatQuirks)


def error_payload(status: int, message: str | None = None) -> dict[str, Any]:
    default_message, kind, code = _ERRORS.get(
        status, ("Request failed.", "server_error" if status >= 500 else "invalid_request_error", None)
    )
    return {"error": {"message": message or default_message, "type": kind, "param": None, "code": code}}


def _error_body(status: int) -> bytes:
    return json.dumps(error_payload(status)).encode()


class FakeOpenAI(LoopbackFake):
    def __init__(self, api_key: str | None = "sk-test", config: OpenAIConfig | None = None) -> None:
        self.api_key = api_key  # None accepts any bearer token (like most compatible servers)
        self.config = config or OpenAIConfig()
        self.replies = ReplyScript()
        self.transcriptions = TranscriptScript("hello world")
        self.faults = FaultQueue()
        self.requests: list[RecordedRequest] = []
        self.uploads: list[bytes] = []  # file parts of transcription requests, in order
        self.first_body_times: list[float] = []  # event-loop time when each response body started
        self._server = HttpServer(self._handle)
        self._servers = (self._server,)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}/v1"

    async def _handle(self, request: HttpRequest, response: HttpResponse) -> None:
        record = new_record(request.method, request.target, request.headers)
        self.requests.append(record)
        number = len(self.requests)
        headers = {"x-request-id": f"req_fake_{number}"}
        plan = await self.faults.take()
        try:
            if plan.reject is not None:
                body = plan.reject.body_or(_error_body)
                await response.send(
                    plan.reject.status, body, "application/json", headers | dict(plan.reject.headers)
                )
            elif (
                self.api_key is not None and request.headers.get("authorization") != f"Bearer {self.api_key}"
            ):
                await response.send_json(401, error_payload(401), headers)
            else:
                await self._route(request, response, _Exchange(record, plan, number, headers))
        except ClientGone:
            record.disconnected = True
            raise

    async def _route(self, request: HttpRequest, response: HttpResponse, exchange: _Exchange) -> None:
        route = (request.method, exchange.record.path)
        if route == ("POST", "/v1/chat/completions"):
            exchange.record.body = request.json()
            await self._chat(response, exchange)
        elif route == ("POST", "/v1/audio/speech"):
            exchange.record.body = request.json()
            await self._speech(response, exchange)
        elif route == ("POST", "/v1/audio/transcriptions"):
            parts = parse_multipart(request.body, request.headers.get("content-type", ""))
            exchange.record.body = form_summary(parts)
            exchange.record.audio_bytes = sum(len(p.data) for p in parts if p.filename is not None)
            self.uploads.extend(p.data for p in parts if p.filename is not None)
            await self._transcription(response, exchange)
        elif route == ("GET", "/v1/models"):
            models = [{"id": "gpt-4o-mini", "object": "model", "created": 1700000000, "owned_by": "fake"}]
            await response.send_json(200, {"object": "list", "data": models}, exchange.headers)
        else:
            message = f"Invalid URL ({request.method} {exchange.record.path})"
            await response.send_json(404, error_payload(404, message), exchange.headers)

    async def _chat(self, response: HttpResponse, exchange: _Exchange) -> None:
        body: dict[str, Any] = exchange.record.body or {}
        reply = self.replies.next(body)
        if not body.get("stream"):
            await response.send_json(200, completion_json(reply, body, exchange.number), exchange.headers)
            return
        quirks = self.config.quirks
        pacing = Pacing(self.config.first_token_delay, self.config.tokens_per_second)
        await response.start(200, "text/event-stream; charset=utf-8", exchange.headers)
        events = self._stamped(chat_events(reply, body, exchange.number, quirks, pacing))
        await stream_chunks(response, exchange.plan, events, _sse_renderers(quirks.sse_style()))

    async def _speech(self, response: HttpResponse, exchange: _Exchange) -> None:
        body: dict[str, Any] = exchange.record.body or {}
        response_format = body.get("response_format", "mp3")
        if response_format not in SPEECH_CONTENT_TYPES:
            message = f"The fake only produces pcm and wav, not {response_format!r}"
            await response.send_json(400, error_payload(400, message), exchange.headers)
            return
        timing = SpeechTiming(
            self.config.speech_first_byte_delay,
            self.config.speech_audio_pace,
            self.config.speech_ms_per_char,
            self.config.speech_chunk_ms,
        )
        await response.start(200, SPEECH_CONTENT_TYPES[response_format], exchange.headers)
        chunks = speech_chunks(str(body.get("input", "")), response_format, timing)
        if self.config.speech_chunk_bytes > 0:
            chunks = _recut(chunks, self.config.speech_chunk_bytes)
        await stream_chunks(response, exchange.plan, self._stamped(chunks), InBandRenderers())

    async def _transcription(self, response: HttpResponse, exchange: _Exchange) -> None:
        form: dict[str, Any] = exchange.record.body
        words = self.transcriptions.next()
        if form.get("stream") == "true":
            style = self.config.quirks.sse_style()
            await response.start(200, "text/event-stream; charset=utf-8", exchange.headers)
            events = self._stamped(transcription_events(words, style, self.config.first_token_delay))
            await stream_chunks(response, exchange.plan, events, _sse_renderers(style))
        elif form.get("response_format") == "text":
            self._stamp()
            await response.send(
                200, (words.text() + "\n").encode(), "text/plain; charset=utf-8", exchange.headers
            )
        else:
            self._stamp()
            await response.send_json(200, {"text": words.text()}, exchange.headers)

    def _stamp(self) -> None:
        self.first_body_times.append(asyncio.get_running_loop().time())

    def _stamped(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        return stamp_first(chunks, self.first_body_times)


@dataclass(frozen=True)
class _Exchange:
    """One request being answered: its record, its faults, its sequence number and common headers."""

    record: RecordedRequest
    plan: FaultPlan
    number: int
    headers: dict[str, str]


async def _recut(chunks: AsyncIterator[bytes], size: int) -> AsyncGenerator[bytes, None]:
    pending = b""
    async for chunk in chunks:
        pending += chunk
        while len(pending) >= size:
            yield pending[:size]
            pending = pending[size:]
    if pending:
        yield pending


def _sse_renderers(style: SseStyle) -> InBandRenderers:
    def error(message: str | None) -> bytes:
        payload = error_payload(500, message)
        return sse_json(payload, style)

    def malformed(kind: MalformedKind) -> bytes:
        if kind is MalformedKind.UNKNOWN_TYPE:
            return sse_json({"object": "mystery.event", "detail": "unknown event type"}, style)
        return sse_data('{"id": "chatcmpl-broken", "choices": [', style)

    return InBandRenderers(error, malformed)
