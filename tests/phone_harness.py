"""Runs a phone call through the telephony transport against the platform simulator, on virtual time."""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio
import numpy as np

from pipeline.base.compute import inline_compute
from pipeline.observe.events import Event
from pipeline.session.pipeline import Pipeline
from pipeline.session.session import Session
from pipeline.transports.telephony.call import ControlFactory, PhoneCall, PhoneCallReport
from pipeline.transports.telephony.messages import MediaStreamSerializer, StreamStarted
from pipeline.transports.telephony.plivo import PlivoSerializer
from pipeline.transports.telephony.telnyx import TelnyxSerializer
from pipeline.transports.telephony.twilio import TwilioSerializer
from tests.doubles import silence, tone
from tests.fakes.phone_platform import PHONE_RATE, MemoryLine, PlatformSimulator

PLATFORMS = ["twilio", "plivo", "telnyx"]


def serializer(platform: str) -> MediaStreamSerializer:
    return {"twilio": TwilioSerializer, "plivo": PlivoSerializer, "telnyx": TelnyxSerializer}[platform]()


@dataclass
class PhoneRun:
    platform: PlatformSimulator
    report: PhoneCallReport | None = None
    session: Session | None = None
    started: StreamStarted | None = None
    events: list[Event] = field(default_factory=list)
    session_origin: float = 0.0  # anyio clock time of session time 0
    ended_at: float | None = None  # anyio clock time PhoneCall.run returned

    def of(self, cls: type[Event]) -> list:  # type: ignore[type-arg]
        return [event for event in self.events if isinstance(event, cls)]

    def clock(self, event: Event) -> float:
        return self.session_origin + event.timestamp


async def phone_call(  # type: ignore[no-untyped-def]
    pipeline: Pipeline,
    platform: str,
    script,
    *,
    custom: dict[str, str] | None = None,
    control: ControlFactory | None = None,
    playback_delay: float = 0.0,
) -> PhoneRun:
    line = MemoryLine()
    run = PhoneRun(
        PlatformSimulator(platform, line.platform, custom=custom or {}, playback_delay=playback_delay)
    )
    async with anyio.create_task_group() as group:

        def on_session(session: Session, started: StreamStarted) -> None:
            run.session, run.started = session, started
            run.session_origin = anyio.current_time() - session.now()
            subscription = session.events()

            async def collect() -> None:
                async for event in subscription:
                    run.events.append(event)

            group.start_soon(collect)

        async def serve() -> None:
            run.report = await PhoneCall(
                pipeline, serializer(platform), line.server, on_session=on_session, control=control
            ).run()
            run.ended_at = anyio.current_time()
            await line.server.close()

        async def caller() -> None:
            await run.platform.connect()
            await script(run)

        with inline_compute(), anyio.fail_after(120):
            group.start_soon(serve)
            group.start_soon(run.platform.run)
            await caller()
    line.close()
    return run


def speech(seconds: float) -> np.ndarray:
    return tone(seconds, rate=PHONE_RATE)


def quiet(seconds: float) -> np.ndarray:
    return silence(seconds, rate=PHONE_RATE)


async def until(condition, limit: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    with anyio.fail_after(limit):
        while not condition():
            await anyio.sleep(0.01)
