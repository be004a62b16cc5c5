"""``deepgram-flux``: Deepgram Flux (``/v2/listen``), speech-to-text that models conversational turns itself.

Flux's ``TurnInfo`` events become transcripts with a ``TurnSignal`` and an end-of-turn probability; its
``EndOfTurn`` is the final transcript and drives the turn decision (see ``flux_turns.py`` for ``finalize()``).
Reconnects re-send the current turn's audio, like the Nova adapter.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, cast

from deepgram import AsyncDeepgramClient
from deepgram.listen.v2.socket_client import AsyncV2SocketClient
from deepgram.listen.v2.types import ListenV2TurnInfo
from pydantic import Field

from pipeline.base.transcripts import WordTiming
from providers.deepgram.errors import error_frame, message_field
from providers.deepgram.flux_turns import FluxTurnTracker, TurnEvent, TurnOutput
from providers.deepgram.ledger import Control
from providers.deepgram.options import DeepgramConnectionOptions
from providers.deepgram.session import KeepAliveStyle, ListenSocket, Reaction, SocketStream, open_stream
from providers.registry import ProviderSpec

logger = logging.getLogger(__name__)


class FluxOptions(DeepgramConnectionOptions):
    model: str = Field("flux-general-en", description="flux-general-en")
    eot_threshold: float | None = Field(
        None, ge=0.5, le=0.9, description="end-of-turn confidence that ends a turn (Flux default 0.7)"
    )
    eager_eot_threshold: float | None = Field(
        None, ge=0.3, le=0.9, description="confidence for EagerEndOfTurn events (none: no eager events)"
    )
    eot_timeout_ms: int | None = Field(
        None,
        ge=500,
        le=10000,
        description="silence that ends a turn whatever the confidence (Flux default 5000)",
    )
    keyterms: list[str] = Field(default_factory=list, description="terms to boost")
    force_end_turn_after: float = Field(
        1.2, ge=0.0, le=10.0, description="after our VAD heard the caller stop, ForceEndTurn if Flux has not"
    )
    end_turn_timeout: float = Field(
        1.0,
        gt=0.0,
        le=10.0,
        description="ForceEndTurn unanswered this long: end the turn with the words so far",
    )

    def connect_params(self, sample_rate: int) -> dict[str, Any]:
        params: dict[str, Any] = {"model": self.model, "encoding": "linear16", "sample_rate": sample_rate}
        optional = {
            "eot_threshold": self.eot_threshold,
            "eager_eot_threshold": self.eager_eot_threshold,
            "eot_timeout_ms": self.eot_timeout_ms,
            "keyterm": list(self.keyterms) or None,
        }
        params.update({name: value for name, value in optional.items() if value is not None})
        return params


class FluxDialect:
    keepalive = KeepAliveStyle.SILENCE

    def __init__(
        self, provider: str, client: AsyncDeepgramClient, params: dict[str, Any], turns: FluxTurnTracker
    ) -> None:
        self._provider = provider
        self._client = client
        self._params = params
        self._turns = turns

    def connect(self) -> AbstractAsyncContextManager[ListenSocket]:
        return cast(AbstractAsyncContextManager[ListenSocket], self._client.listen.v2.connect(**self._params))

    async def send_control(self, socket: ListenSocket, control: Control) -> None:
        if control is Control.FORCE_END_TURN:
            await cast(AsyncV2SocketClient, socket).send_force_end_turn()

    async def send_keepalive(self, socket: ListenSocket) -> None:
        raise NotImplementedError("Flux has no KeepAlive message; silence is sent instead")

    def finalize(self, now: float, audio_until: float) -> Reaction:
        return _reaction(self._turns.requested(now, audio_until))

    def control_sent(self, control: Control, connection_time: float) -> None:
        if control is Control.FORCE_END_TURN:
            self._turns.force_sent()

    def message(self, message: object, now: float, to_media: Callable[[float], float]) -> Reaction:
        if isinstance(message, ListenV2TurnInfo):
            return _reaction(self._turns.on_event(_turn_event(message, to_media)))
        if message_field(message, "type") == "Error":
            raise error_frame(
                self._provider, message_field(message, "description"), message_field(message, "code")
            )
        if message_field(message, "type") == "Warning":
            logger.warning("%s warning: %s", self._provider, str(message_field(message, "description"))[:300])
        return Reaction()  # Connected, ConfigureSuccess, unknown types

    def deadline(self) -> float | None:
        return self._turns.deadline

    def expire(self, now: float) -> Reaction:
        return _reaction(self._turns.expire(now))

    def reconnected(self, now: float) -> Reaction:
        return Reaction(controls=self._turns.reconnected(now))


def _turn_event(message: ListenV2TurnInfo, to_media: Callable[[float], float]) -> TurnEvent:
    items = message.words or []
    words: tuple[WordTiming, ...] = ()
    if all(w.start is not None and w.end is not None for w in items):  # Flux may leave word times out
        words = tuple(
            WordTiming(
                word=w.word,
                start=to_media(w.start or 0.0),
                end=to_media(w.end or 0.0),
                confidence=w.confidence,
            )
            for w in items
        )
    return TurnEvent(
        event=str(message.event),
        turn_index=message.turn_index,
        text=message.transcript.strip(),
        words=words,
        end_of_turn_probability=message.end_of_turn_confidence,
        window_end=message.audio_window_end,
    )


def _reaction(output: TurnOutput) -> Reaction:
    return Reaction(output.transcripts, output.commit_until, output.controls)


class DeepgramFlux:
    provider = "deepgram-flux"

    def __init__(self, options: FluxOptions) -> None:
        self.options = options
        self.model = options.model
        self._client: AsyncDeepgramClient | None = None

    @asynccontextmanager
    async def stream(self, *, sample_rate: int) -> AsyncIterator[SocketStream]:
        options = self.options
        if self._client is None:
            self._client = options.client()
        turns = FluxTurnTracker(
            force_after=options.force_end_turn_after, give_up_after=options.end_turn_timeout
        )
        dialect = FluxDialect(self.provider, self._client, options.connect_params(sample_rate), turns)
        async with open_stream(dialect, options.stream_settings(self.provider, sample_rate)) as stream:
            yield stream


SPEC = ProviderSpec(
    kind="stt",
    name="deepgram-flux",
    options=FluxOptions,
    build=DeepgramFlux,
    description="Deepgram Flux: streaming speech-to-text with its own end-of-turn detection (/v2/listen)",
)
