"""One log line per notable thing of a session, from its events: start, end (with the reason), errors (with
the source and code), dropped frames, providers going down or coming back, interruptions (debug)."""

from __future__ import annotations

import logging

from pipeline.observe.bus import EventBus
from pipeline.observe.events import (
    ErrorEvent,
    FramesDropped,
    Interruption,
    ProviderAvailabilityChanged,
    SessionEnded,
    SessionStarted,
    TurnMetrics,
)
from pipeline.observe.observer import AudioTap, CallInfo

logger = logging.getLogger("pipeline.session")

Notable = (
    SessionStarted
    | SessionEnded
    | ErrorEvent
    | FramesDropped
    | ProviderAvailabilityChanged
    | Interruption
    | TurnMetrics
)


class EventLog:
    """A session observer that turns notable events into log records (levels: info for the lifecycle,
    warning/error for trouble, debug for per-turn detail)."""

    def attach(self, call: CallInfo, bus: EventBus) -> AudioTap | None:
        bus.on(log_event)
        return None


async def log_event(event: Notable) -> None:
    extra = {"session_id": event.session_id, "turn_id": event.turn_id, "event": event.type}
    match event:
        case SessionStarted():
            logger.info(
                "session started (%s)", ", ".join(f"{k}={v}" for k, v in event.providers.items()), extra=extra
            )
        case SessionEnded():
            level = logging.WARNING if event.reason == "error" else logging.INFO
            detail = f": {event.error}" if event.error else ""
            logger.log(
                level,
                "session ended, reason=%s%s",
                event.reason,
                detail,
                extra={**extra, "reason": event.reason},
            )
        case ErrorEvent():
            logger.log(
                logging.WARNING if event.recoverable else logging.ERROR,
                "%s error code=%s: %s",
                event.source,
                event.code,
                event.message,
                extra={**extra, "source": event.source, "code": event.code},
            )
        case FramesDropped() if event.total & (event.total - 1) == 0:  # 1, 2, 4, 8...: never a flood
            logger.warning("%d audio frames dropped on %s so far", event.total, event.channel, extra=extra)
        case ProviderAvailabilityChanged():
            logger.warning(
                "%s/%s %s: %s",
                event.provider,
                event.model,
                "available again" if event.available else "unavailable",
                event.reason,
                extra={**extra, "provider": event.provider},
            )
        case Interruption():
            logger.debug(
                "caller interrupted speech %s after %.2f s",
                event.speech_id,
                event.speech_duration,
                extra=extra,
            )
        case TurnMetrics():
            logger.debug("turn voice-to-voice %.3f s", event.voice_to_voice, extra=extra)
