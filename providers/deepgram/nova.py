"""The ``/v1/listen`` (Nova) dialect: Results -> interim/final transcripts with word timings, Finalize handling,
KeepAlive, and in-band errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, cast

from deepgram import AsyncDeepgramClient
from deepgram.listen.v1.socket_client import AsyncV1SocketClient
from deepgram.listen.v1.types import ListenV1Results

from pipeline.base.transcripts import WordTiming
from providers.deepgram.errors import error_frame, message_field
from providers.deepgram.finalize import FinalizeTracker
from providers.deepgram.ledger import Control
from providers.deepgram.session import KeepAliveStyle, ListenSocket, Reaction
from providers.stt import Transcript

logger = logging.getLogger(__name__)


class NovaDialect:
    keepalive = KeepAliveStyle.MESSAGE

    def __init__(
        self,
        provider: str,
        client: AsyncDeepgramClient,
        params: Mapping[str, Any],
        finalize: FinalizeTracker,
    ) -> None:
        self._provider = provider
        self._client = client
        self._params = dict(params)
        self._finalize = finalize

    def connect(self) -> AbstractAsyncContextManager[ListenSocket]:
        return cast(AbstractAsyncContextManager[ListenSocket], self._client.listen.v1.connect(**self._params))

    async def send_control(self, socket: ListenSocket, control: Control) -> None:
        if control is Control.FINALIZE:
            await _v1(socket).send_finalize()

    async def send_keepalive(self, socket: ListenSocket) -> None:
        await _v1(socket).send_keep_alive()

    def finalize(self, now: float, audio_until: float) -> Reaction:
        return Reaction(transcripts=self._finalize.requested(now), controls=[Control.FINALIZE])

    def control_sent(self, control: Control, connection_time: float) -> None:
        if control is Control.FINALIZE:
            self._finalize.sent(connection_time)

    def message(self, message: object, now: float, to_media: Callable[[float], float]) -> Reaction:
        if isinstance(message, ListenV1Results):
            return self._results(message, now, to_media)
        if message_field(message, "type") == "Error":
            raise error_frame(
                self._provider,
                message_field(message, "description") or message_field(message, "message"),
                message_field(message, "variant"),
            )
        if message is None or isinstance(message, dict):
            logger.debug("%s: unknown message ignored", self._provider)
        return Reaction()  # Metadata, SpeechStarted, UtteranceEnd, unknown types

    def deadline(self) -> float | None:
        return self._finalize.deadline

    def expire(self, now: float) -> Reaction:
        return Reaction(transcripts=self._finalize.expire(now))

    def reconnected(self, now: float) -> Reaction:
        transcripts, resend = self._finalize.reconnected(now)
        return Reaction(transcripts=transcripts, controls=[Control.FINALIZE] if resend else [])

    def _results(self, message: ListenV1Results, now: float, to_media: Callable[[float], float]) -> Reaction:
        alternatives = message.channel.alternatives
        best = alternatives[0] if alternatives else None
        text = best.transcript.strip() if best is not None else ""
        items = (best.words if best is not None else None) or []
        words = tuple(
            WordTiming(
                word=word.punctuated_word or word.word,
                start=to_media(word.start),
                end=to_media(word.end),
                confidence=word.confidence,
            )
            for word in items
        )
        confidence = best.confidence if best is not None and text else None
        transcript = Transcript(text, is_final=bool(message.is_final), words=words, confidence=confidence)
        if not message.is_final:
            return Reaction(transcripts=self._finalize.on_interim(transcript))
        covered = message.start + message.duration
        answer = self._finalize.on_final(
            transcript, covered_until=covered, flagged=bool(message.from_finalize), now=now
        )
        return Reaction(transcripts=answer, commit_until=covered)


def _v1(socket: ListenSocket) -> AsyncV1SocketClient:
    return cast(AsyncV1SocketClient, socket)
