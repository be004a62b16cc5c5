"""Loopback fake of Deepgram live speech-to-text: `/v1/listen` (Nova) and `/v2/listen` (Flux) websockets.

    async with FakeDeepgram(api_key="dg-key") as fake:
        fake.transcripts.push("Hello there.")          # what the next utterance is recognized as
        client = AsyncDeepgramClient(api_key="dg-key", environment=fake.environment)

Speech vs silence comes from the energy of 10 ms frames of 16-bit PCM, so silence + tone + silence gives one
utterance. Timing knobs live in `fake.config` (a mutable `DeepgramConfig`), faults in `fake.faults`, and
every connection is recorded in `fake.requests` (query params, headers, client text messages, audio bytes);
`fake.sent` lists the loop time and type of every server message (for benchmarks).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from tests.fakes.deepgram_flux import FluxParams, FluxSession, FluxSilences
from tests.fakes.deepgram_listen import DeepgramTiming, ListenParams, ListenSession, SessionStep
from tests.fakes.faults import FaultPlan, FaultQueue, MalformedKind
from tests.fakes.http import LoopbackFake
from tests.fakes.recording import RecordedRequest, new_record
from tests.fakes.transcripts import TranscriptScript
from tests.fakes.wsserver import (
    InBandError,
    QueuedSender,
    SessionEnded,
    WsOutbox,
    WsRenderers,
    WsServer,
    reject,
)

if TYPE_CHECKING:
    from deepgram import DeepgramClientEnvironment

IDLE_CLOSE_REASON = "Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001"
_ERROR_BODIES: dict[int, tuple[str, str]] = {
    400: ("Bad Request", "Bad Request: failed to process the request"),
    401: ("INVALID_AUTH", "Invalid credentials."),
    402: ("ASR-PAYMENT-REQUIRED", "Project does not have enough credits for an ASR request"),
    403: ("INSUFFICIENT_PERMISSIONS", "User does not have sufficient permissions."),
    404: ("NOT_FOUND", "Not found."),
    429: ("TOO_MANY_REQUESTS", "Too many requests. Please try again later"),
}


@dataclass
class DeepgramConfig:
    """Behaviour knobs; seconds unless noted. Change them on `fake.config` between connections."""

    final_delay: float = 0.0  # wall time from endpoint / Finalize / CloseStream / EndOfTurn to the final
    interim_interval: float = 0.5  # audio time between interim Results / Flux Update events
    idle_timeout: float = 10.0  # no audio and no text message for this long: close 1011 (NET-0001)
    speech_threshold: float = 500.0  # RMS on the int16 scale above which a 10 ms frame is speech
    word_seconds: float = 0.3  # audio time per word revealed in interim results
    flux_eager_silence: float = 0.2  # silence before EagerEndOfTurn (only with eager_eot_threshold)
    flux_eot_silence: float = 0.5  # silence before EndOfTurn (capped by eot_timeout_ms)
    finalize_split: int = 1  # the answer to Finalize comes as this many finals, each flagged from_finalize
    answer_idle_finalize: bool = True  # False: a Finalize with no speech pending gets no answer at all

    def timing(self) -> DeepgramTiming:
        return DeepgramTiming(
            self.final_delay,
            self.interim_interval,
            self.speech_threshold,
            self.word_seconds,
            self.finalize_split,
            self.answer_idle_finalize,
        )


class _End(enum.Enum):
    """Why a connection's receive loop stopped."""

    CLIENT_GONE = "client_gone"
    CLOSE_STREAM = "close_stream"
    IDLE_TIMEOUT = "idle_timeout"


@dataclass(frozen=True)
class _Pending:
    record: RecordedRequest
    plan: FaultPlan


class FakeDeepgram(LoopbackFake):
    def __init__(
        self,
        api_key: str | None = "test-deepgram-key",
        config: DeepgramConfig | None = None,
        default_transcript: str = "hello world",
    ) -> None:
        self.api_key = api_key  # None accepts any Authorization header
        self.config = config or DeepgramConfig()
        self.transcripts = TranscriptScript(default_transcript)
        self.faults = FaultQueue()
        self.requests: list[RecordedRequest] = []
        self.sent: list[tuple[float, str]] = []  # (loop time, type) as each server message is sent
        self._server = WsServer(self._serve, self._process_request)
        self._servers = (self._server,)
        self._pending: dict[uuid.UUID, _Pending] = {}

    @property
    def url(self) -> str:
        """The websocket base ("production") URL, e.g. ws://127.0.0.1:P."""
        return f"ws://127.0.0.1:{self._server.port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def environment(self) -> DeepgramClientEnvironment:
        """A `DeepgramClientEnvironment` pointing every base URL at this fake."""
        from deepgram import DeepgramClientEnvironment

        return DeepgramClientEnvironment(
            base=self.http_url, production=self.url, agent=self.url, agent_rest=self.http_url
        )

    async def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        record = new_record("GET", request.path, dict(request.headers.raw_items()))
        self.requests.append(record)
        plan = await self.faults.take()
        if plan.reject is not None:
            return reject(plan.reject.status, plan.reject.body_or(_error_body), headers=plan.reject.headers)
        if record.path not in ("/v1/listen", "/v2/listen"):
            return reject(404, _error_body(404))
        if not self._authorized(record.headers.get("authorization", "")):
            return reject(401, _error_body(401))
        self._pending[connection.id] = _Pending(record, plan)
        return None

    def _note_sent(self, message: Mapping[str, Any] | str | bytes) -> None:
        kind = message.get("type") if isinstance(message, Mapping) else None
        self.sent.append((asyncio.get_running_loop().time(), str(kind)))

    def _authorized(self, header: str) -> bool:
        if self.api_key is None:
            return True
        scheme, _, key = header.partition(" ")
        return scheme.lower() in ("token", "bearer") and key == self.api_key

    async def _serve(self, connection: ServerConnection) -> None:
        pending = self._pending.pop(connection.id)
        record = pending.record
        renderers = WsRenderers(_render_error, _render_malformed)
        outbox = WsOutbox(connection, pending.plan, renderers, on_send=self._note_sent)
        sender = QueuedSender(outbox)
        request_id = str(uuid.uuid4())
        session: ListenSession | FluxSession
        if record.path == "/v2/listen":
            silences = FluxSilences(self.config.flux_eager_silence, self.config.flux_eot_silence)
            params = FluxParams.from_query(record.query)
            session = FluxSession(
                params, self.config.timing(), silences, self.transcripts, sender, request_id
            )
        else:
            listen = ListenParams.from_query(record.query)
            session = ListenSession(listen, self.config.timing(), self.transcripts, sender, request_id)
        sender_task = asyncio.create_task(sender.run())
        try:
            await outbox.open()
            match await self._receive(connection, session, record):
                case _End.IDLE_TIMEOUT:
                    await outbox.close(1011, IDLE_CLOSE_REASON)
                case _End.CLOSE_STREAM:
                    sender.finish()
                    await sender_task
                    await outbox.close(1000)
                case _End.CLIENT_GONE:
                    record.disconnected = True
        except SessionEnded:
            pass
        finally:
            sender_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender_task

    async def _receive(
        self, connection: ServerConnection, session: ListenSession | FluxSession, record: RecordedRequest
    ) -> _End:
        while True:
            try:
                async with asyncio.timeout(self.config.idle_timeout):
                    data = await connection.recv()
            except TimeoutError:
                return _End.IDLE_TIMEOUT
            except ConnectionClosed:
                return _End.CLIENT_GONE
            if isinstance(data, bytes):
                record.audio_bytes += len(data)
                session.on_audio(data)
                continue
            message = record.record_text(data)
            if isinstance(message, dict) and session.on_control(message) is SessionStep.CLOSE:
                return _End.CLOSE_STREAM


def _error_body(status: int) -> bytes:
    code, message = _ERROR_BODIES.get(status, ("INTERNAL_SERVER_ERROR", "Internal server error."))
    return json.dumps({"err_code": code, "err_msg": message, "request_id": str(uuid.uuid4())}).encode()


def _render_error(message: str | None) -> InBandError:
    payload: dict[str, Any] = {
        "type": "Error",
        "variant": "InternalServerError",
        "description": message or "Internal server error during processing.",
        "message": message or "Internal server error during processing.",
    }
    return InBandError(json.dumps(payload), 1011, "NET-0000: internal server error")


def _render_malformed(kind: MalformedKind) -> str:
    if kind is MalformedKind.UNKNOWN_TYPE:
        return json.dumps({"type": "Mystery", "detail": "a message type this SDK does not know"})
    if kind is MalformedKind.BAD_FIELDS:
        return json.dumps(
            {
                "type": "Results",
                "channel_index": [0, 1],
                "duration": "long",
                "start": None,
                "is_final": True,
                "channel": {"alternatives": [{"transcript": 7, "confidence": "high", "words": "none"}]},
                "metadata": None,
            }
        )
    return '{"type": "Results", "channel_index": [0, '
