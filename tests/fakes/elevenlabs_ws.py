"""ElevenLabs websocket sessions: single-stream `/stream-input` and multi-context `/multi-stream-input`."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from tests.fakes.elevenlabs_context import DEFAULT_SCHEDULE, ClosePolicy, SynthSettings, TtsContext
from tests.fakes.recording import RecordedRequest
from tests.fakes.wsserver import SessionEnded, WsOutbox

MAX_CONTEXTS_MESSAGE = (
    "Maximum simultaneous contexts per WebSocket connection exceeded ({limit}). "
    "Please close an existing context before opening a new one."
)
INVALID_INPUT_MESSAGE = "Invalid message received. Please refer to the documentation."
TIMEOUT_MESSAGE = (
    "Have not received a new text input within the timeout of {seconds} seconds. Streaming input requires a "
    "continuous stream of text, and the timeout can be increased up to 180 seconds using the "
    "inactivity_timeout parameter."
)


@dataclass(frozen=True)
class ContextLimits:
    max_contexts: int
    chunks_after_close: int | None  # None: a closed context's already triggered audio still goes out in full
    final_for_unstarted_close: bool  # False (like the service): close before any audio -> no isFinal


class Step(enum.Enum):
    CONTINUE = "continue"
    CLOSE_SOCKET = "close_socket"  # finish contexts gracefully, then close 1000
    ENDED = "ended"  # the session already closed the socket (error)


async def send_error(outbox: WsOutbox, error: str, message: str, close_code: int = 1008) -> None:
    """The service's error shape, then a close with the message as reason (cut to the 123-byte limit)."""
    await outbox.send({"message": message, "error": error, "code": close_code})
    await outbox.close(close_code, message.encode()[:123].decode("utf-8", "ignore"))


def schedule_of(message: Mapping[str, Any]) -> tuple[int, ...]:
    config = message.get("generation_config") or {}
    schedule = config.get("chunk_length_schedule") or DEFAULT_SCHEDULE
    return tuple(int(value) for value in schedule)


def initial_text(text: Any) -> str | None:
    """A context's first message carries `" "` to open it; only real text in it is spoken."""
    return None if text is None or not str(text).strip() else str(text)


class SingleStreamSession:
    """`/stream-input`: one implicit context; `{"text": ""}` ends input, then isFinal and close 1000."""

    def __init__(self, settings: SynthSettings, outbox: WsOutbox) -> None:
        self._settings = settings
        self._outbox = outbox
        self._context: TtsContext | None = None

    async def on_message(self, message: Mapping[str, Any]) -> Step:
        text = message.get("text")
        if self._context is None:
            self._context = TtsContext(
                None, self._settings, self._outbox, schedule_of(message), lambda _: None
            )
            text = initial_text(text)
        elif text == "":
            return Step.CLOSE_SOCKET
        if text is not None or message.get("flush"):
            flush = bool(message.get("flush") or message.get("try_trigger_generation"))
            self._context.add_text(str(text or ""), flush)
        return Step.CONTINUE

    async def finish(self) -> None:
        if self._context is not None:
            self._context.close(ClosePolicy(flush_buffer=True, chunks_after=None, final_always=True))
            await self._context.wait_closed()
        await self._outbox.close(1000)

    def cancel(self) -> None:
        if self._context is not None:
            self._context.cancel()


class MultiStreamSession:
    """`/multi-stream-input`: contexts by `context_id`, `flush`, `close_context`, `close_socket`."""

    def __init__(self, settings: SynthSettings, outbox: WsOutbox, limits: ContextLimits) -> None:
        self._settings = settings
        self._outbox = outbox
        self._limits = limits
        self._open: dict[str, TtsContext] = {}
        self._closing: set[TtsContext] = set()

    @property
    def active_contexts(self) -> int:
        """Contexts counting toward the limit: open ones and closed ones still finishing."""
        return len(self._open) + len(self._closing)

    async def on_message(self, message: Mapping[str, Any]) -> Step:
        if message.get("close_socket"):
            return Step.CLOSE_SOCKET
        context_id = str(message.get("context_id") or "default")
        context = self._open.get(context_id)
        if message.get("close_context"):
            if context is not None:
                self._close_context(context)
            return Step.CONTINUE
        if context is None:
            if self.active_contexts >= self._limits.max_contexts:
                text = MAX_CONTEXTS_MESSAGE.format(limit=self._limits.max_contexts)
                await send_error(self._outbox, "max_active_conversations", text)
                return Step.ENDED
            context = TtsContext(context_id, self._settings, self._outbox, schedule_of(message), self._forget)
            self._open[context_id] = context
            text = initial_text(message.get("text"))
        else:
            text = message.get("text")
        if text is not None or message.get("flush"):
            context.add_text(str(text or ""), bool(message.get("flush")))
        return Step.CONTINUE

    async def finish(self) -> None:
        for context in list(self._open.values()):
            context.close(ClosePolicy(flush_buffer=False, chunks_after=None, final_always=False))
            self._move_to_closing(context)
        for context in list(self._closing):
            await context.wait_closed()
        await self._outbox.close(1000)

    def cancel(self) -> None:
        for context in [*self._open.values(), *self._closing]:
            context.cancel()

    def _close_context(self, context: TtsContext) -> None:
        policy = ClosePolicy(
            flush_buffer=False,
            chunks_after=self._limits.chunks_after_close,
            final_always=self._limits.final_for_unstarted_close,
        )
        self._move_to_closing(context)
        context.close(policy)

    def _move_to_closing(self, context: TtsContext) -> None:
        if context.context_id is not None and self._open.get(context.context_id) is context:
            del self._open[context.context_id]
        self._closing.add(context)

    def _forget(self, context: TtsContext) -> None:
        self._closing.discard(context)
        if context.context_id is not None and self._open.get(context.context_id) is context:
            del self._open[context.context_id]


Session = SingleStreamSession | MultiStreamSession


class HeaderAuth(enum.Enum):
    VALID = "valid"  # xi-api-key header matches (or the fake accepts any key)
    INVALID = "invalid"  # wrong key in the header: close 1008 right away
    MISSING = "missing"  # the first message must carry xi_api_key (or authorization: Bearer <key>)


@dataclass(frozen=True)
class SocketAuth:
    api_key: str | None  # None: any key
    header: HeaderAuth

    @classmethod
    def from_header(cls, api_key: str | None, header_value: str | None) -> SocketAuth:
        if api_key is None or header_value == api_key:
            return cls(api_key, HeaderAuth.VALID)
        return cls(api_key, HeaderAuth.MISSING if header_value is None else HeaderAuth.INVALID)

    def accepts(self, message: Mapping[str, Any]) -> bool:
        if self.header is HeaderAuth.VALID:
            return True
        bearer = message.get("authorization")
        return message.get("xi_api_key") == self.api_key or bearer == f"Bearer {self.api_key}"


async def run_socket(
    connection: ServerConnection,
    session: Session,
    record: RecordedRequest,
    outbox: WsOutbox,
    auth: SocketAuth,
    input_timeout: float,
) -> None:
    """Receive loop of one TTS websocket: auth on the first message, inactivity timeout, dispatch."""
    first = True
    try:
        await outbox.open()
        if auth.header is HeaderAuth.INVALID:
            await outbox.close(1008, "Invalid API key")
            return
        while True:
            try:
                async with asyncio.timeout(input_timeout):
                    data = await connection.recv()
            except TimeoutError:
                seconds = int(input_timeout) if float(input_timeout).is_integer() else input_timeout
                await send_error(outbox, "input_timeout_exceeded", TIMEOUT_MESSAGE.format(seconds=seconds))
                return
            if isinstance(data, bytes):
                continue
            message = record.record_text(data)
            if not isinstance(message, dict):
                await send_error(outbox, "invalid_input_message", INVALID_INPUT_MESSAGE)
                return
            if first and not auth.accepts(message):
                await outbox.close(1008, "Invalid API key")
                return
            first = False
            step = await session.on_message(message)
            if step is Step.CLOSE_SOCKET:
                await session.finish()
            if step is not Step.CONTINUE:
                return
    except (ConnectionClosed, SessionEnded):
        return
    finally:
        session.cancel()
