"""How a session's running stages are built and wired together: the reply engine and its tool runner, the
interruption controller, the speech-to-text and input stages — plus the small reports about the providers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from anyio.abc import TaskGroup

from pipeline.base.audio import AudioFrame
from pipeline.base.channel import Channel
from pipeline.base.clock import SessionClock
from pipeline.floor.controller import FloorHost, InterruptionController
from pipeline.floor.idle import IdleMonitor
from pipeline.observe.bus import EventBus
from pipeline.observe.events import ErrorEvent, ProviderAvailabilityChanged
from pipeline.observe.metrics import UsageTracker
from pipeline.session.conversation import greet
from pipeline.settings import AgentSettings, SessionSettings
from pipeline.stages.context import ChatContext
from pipeline.stages.input import InputStage
from pipeline.stages.reply import ReplyEngine
from pipeline.stages.stt import SttStage
from pipeline.stages.tool_runner import ToolRunner
from pipeline.stages.tools import ToolRegistry, ToolResult
from pipeline.stages.turn_setup import TurnPolicies
from providers.errors import ProviderError, root_cause
from providers.fallback import AvailabilityChange, ReportsAvailability
from providers.llm import LLM
from providers.stt import SpeechToText
from providers.tts import TextToSpeech
from vad import Vad

T = TypeVar("T")


@dataclass(frozen=True)
class RunningStages:
    """The parts of a started session."""

    controller: InterruptionController
    engine: ReplyEngine
    stt: SttStage
    inputs: InputStage

    def start(
        self,
        stages: TaskGroup,
        agent: AgentSettings,
        *,
        bus: EventBus,
        fatal_error: Callable[[ProviderError], None],
        end_with_error: Callable[[str], None],
    ) -> None:
        """Start the stages' work in ``stages``; the agent then greets (or waits) as ``agent`` says. A stage that
        fails ends the session (see ``run_guarded``)."""
        for name, stage in (("stt", self.stt.run), ("input", self.inputs.run)):
            stages.start_soon(
                partial(run_guarded, bus=bus, fatal_error=fatal_error, end_with_error=end_with_error),
                name,
                stage,
            )
        self.controller.start()
        stages.start_soon(greet, self.controller, agent)

    def apply(self, settings: SessionSettings, llm: LLM | None) -> None:
        """Changed settings (and LLM): from the next reply or turn decision."""
        self.engine.apply(settings.agent, llm)
        self.controller.apply(settings.turn)
        self.controller.apply_preemptive(settings.preemptive)

    async def finish(self, drain_timeout: float) -> None:
        """The orderly end: speech in progress may finish (up to ``drain_timeout``), the STT reports usage."""
        await self.controller.finish(drain_timeout)
        self.stt.report_usage()


def build_stages(
    settings: SessionSettings,
    *,
    bus: EventBus,
    clock: SessionClock,
    usage: UsageTracker,
    idle: IdleMonitor,
    context: ChatContext,
    tools: ToolRegistry,
    audio_in: Channel[AudioFrame],
    audio_out: Channel[AudioFrame],
    stt: SpeechToText,
    llm: LLM,
    tts: TextToSpeech,
    vad: Vad,
    stages: TaskGroup,
    host: FloorHost,
    speaking_agent: str,
    late_result: Callable[[ToolResult], Coroutine[Any, Any, None]],
    switch_agent: Callable[[str], Coroutine[Any, Any, None]] | None,
) -> RunningStages:
    """The stages of a session, wired to each other, their background work to run in ``stages``.
    ``late_result`` and ``switch_agent`` (None: no named agents) are started as tasks there when a tool asks."""
    rate = settings.audio.sample_rate
    runner = ToolRunner(
        tools,
        bus,
        idle,
        background=stages,
        late_result=lambda result: _start(stages, late_result, result),
        switch_agent=(lambda name: _start(stages, switch_agent, name)) if switch_agent is not None else None,
    )
    engine = ReplyEngine(
        llm,
        tts,
        tools,
        runner,
        bus,
        usage,
        sample_rate=rate,
        frame_ms=settings.audio.frame_ms,
        agent=settings.agent,
    )
    policies = TurnPolicies(rate, settings.turn)
    controller = InterruptionController(
        bus=bus,
        clock=clock,
        context=context,
        engine=engine,
        out=audio_out,
        task_group=stages,
        policies=policies,
        turn=settings.turn,
        idle=idle,
        host=host,
        preemptive=settings.preemptive,
    )
    controller.speaking_agent = speaking_agent
    stt_stage = SttStage(stt, sample_rate=rate, bus=bus, usage=usage, signals=controller)
    inputs = InputStage(
        audio_in,
        sample_rate=rate,
        frame_ms=settings.audio.frame_ms,
        vad=vad.create_stream(rate),
        stt=stt_stage,
        signals=controller,
        bus=bus,
        recent_audio=policies.recent_audio,
    )
    return RunningStages(controller, engine, stt_stage, inputs)


async def run_guarded(
    name: str,
    stage: Callable[[], Awaitable[None]],
    *,
    bus: EventBus,
    fatal_error: Callable[[ProviderError], None],
    end_with_error: Callable[[str], None],
) -> None:
    """Run a stage; one that fails ends the session cleanly (after reporting why) instead of tearing it down:
    a provider's error through ``fatal_error``, any other through an ``error`` event and ``end_with_error``."""
    try:
        await stage()
    except Exception as group:
        exc = root_cause(group)
        if isinstance(exc, ProviderError):
            fatal_error(exc)
            return
        bus.emit(
            ErrorEvent,
            source=name,
            code="internal_error",
            message=f"{type(exc).__name__}: {exc}",
            recoverable=False,
        )
        end_with_error(f"{name}: {type(exc).__name__}: {exc}")


def describe_providers(stt: SpeechToText, llm: LLM, tts: TextToSpeech) -> dict[str, str]:
    """``provider/model`` of each kind, for ``session_started``."""
    return {
        kind: f"{provider.provider}/{provider.model}"
        for kind, provider in (("stt", stt), ("llm", llm), ("tts", tts))
    }


def report_availability(llm: LLM, bus: EventBus) -> Callable[[], None] | None:
    """A fallback list of LLMs reports its members going down and up as ``provider_availability_changed``
    events; returns the function that stops it (None: this LLM does not report availability)."""
    if not isinstance(llm, ReportsAvailability):
        return None

    def emit(change: AvailabilityChange) -> None:
        bus.emit(
            ProviderAvailabilityChanged,
            provider=change.provider,
            model=change.model,
            available=change.available,
            reason=change.reason,
        )

    return llm.subscribe_availability(emit)


def _start(group: TaskGroup, work: Callable[[T], Coroutine[Any, Any, None]], argument: T) -> None:
    group.start_soon(work, argument)
