"""The event bus: handlers chosen by annotation, isolation of failing handlers, iterator subscriptions, muting,
and JSONL round trips of the events."""

from __future__ import annotations

import anyio
import pytest

from pipeline.observe.bus import HANDLER_FAILED, EventBus, event_types_of
from pipeline.observe.events import (
    AgentState,
    AgentStateChanged,
    ErrorEvent,
    Event,
    FramesDropped,
    Interruption,
    SessionEnded,
    ToolFinished,
    ToolStatus,
    UsageEntry,
    UsageSummary,
    UserTranscript,
    VadMetrics,
    WordTiming,
    parse_event,
)

pytestmark = pytest.mark.anyio


async def settle() -> None:
    await anyio.sleep(0.01)


def interruption(bus: EventBus, speech_id: str = "speech_1") -> Interruption | None:
    return bus.emit(Interruption, speech_id=speech_id, speech_duration=0.6)


# --- handler annotations -------------------------------------------------------------------------------------


def test_event_types_from_single_union_and_base_annotations() -> None:
    async def single(event: Interruption) -> None: ...

    async def union(event: Interruption | FramesDropped) -> None: ...

    async def everything(event: Event) -> None: ...

    assert event_types_of(single) == (Interruption,)
    assert event_types_of(union) == (Interruption, FramesDropped)
    assert event_types_of(everything) == (Event,)


def test_non_async_handler_is_rejected() -> None:
    bus = EventBus("s")

    def handler(event: Interruption) -> None: ...

    with pytest.raises(TypeError, match=r"handler .*handler must be an async function \(async def\)"):
        bus.on(handler)  # type: ignore[arg-type]


def test_handler_without_annotation_is_rejected() -> None:
    bus = EventBus("s")

    async def handler(event) -> None:  # type: ignore[no-untyped-def]
        ...

    with pytest.raises(TypeError, match="annotate its first parameter with an event type"):
        bus.on(handler)


def test_handler_without_parameters_is_rejected() -> None:
    async def handler() -> None: ...

    with pytest.raises(TypeError, match="must take the event as its first parameter"):
        event_types_of(handler)


def test_handler_annotated_with_a_non_event_is_rejected() -> None:
    async def handler(event: Interruption | int) -> None: ...

    with pytest.raises(TypeError, match="<class 'int'> is not an event type"):
        event_types_of(handler)


# --- delivery ------------------------------------------------------------------------------------------------


async def test_handlers_receive_by_annotation_in_order() -> None:
    bus = EventBus("sess_1")
    single: list[str] = []
    union: list[str] = []
    everything: list[str] = []

    @bus.on
    async def on_interruption(event: Interruption) -> None:
        await anyio.sleep(0.1)  # slow: later events queue up, order is kept
        single.append(event.speech_id)

    @bus.on
    async def on_either(event: Interruption | FramesDropped) -> None:
        union.append(event.type)

    @bus.on
    async def on_all(event: Event) -> None:
        everything.append(event.type)

    async with anyio.create_task_group() as group:
        bus.start(group)
        interruption(bus, "speech_1")
        bus.emit(FramesDropped, channel="caller-audio", total=1)
        interruption(bus, "speech_2")
        bus.emit(VadMetrics, windows=10, inference_mean_ms=0.1, inference_max_ms=0.3)
        interruption(bus, "speech_3")
        await anyio.sleep(1)
        bus.close()
    assert single == ["speech_1", "speech_2", "speech_3"]
    assert union == ["interruption", "frames_dropped", "interruption", "interruption"]
    assert everything == ["interruption", "frames_dropped", "interruption", "vad_metrics", "interruption"]


async def test_handler_added_after_start_receives_later_events() -> None:
    bus = EventBus("s")
    seen: list[int] = []
    async with anyio.create_task_group() as group:
        bus.start(group)

        async def late(event: FramesDropped) -> None:
            seen.append(event.total)

        bus.on(late)
        bus.emit(FramesDropped, channel="c", total=3)
        await settle()
        bus.close()
    assert seen == [3]


async def test_failing_handler_reports_error_and_others_still_receive() -> None:
    bus = EventBus("sess_x")
    healthy: list[str] = []
    errors: list[ErrorEvent] = []
    failing_calls = 0

    @bus.on
    async def broken(event: Event) -> None:
        nonlocal failing_calls
        failing_calls += 1
        raise RuntimeError("boom")

    @bus.on
    async def fine(event: Interruption) -> None:
        healthy.append(event.speech_id)

    @bus.on
    async def on_error(event: ErrorEvent) -> None:
        errors.append(event)

    async with anyio.create_task_group() as group:
        bus.start(group)
        interruption(bus, "a")
        interruption(bus, "b")
        await settle()
        bus.close()
    assert healthy == ["a", "b"]
    # one report per failure of an ordinary event; its failure on its own reports is not reported again
    assert len(errors) == 2
    assert {error.code for error in errors} == {HANDLER_FAILED}
    assert errors[0].message == "RuntimeError: boom"
    assert "broken" in errors[0].source
    assert errors[0].source.startswith("handler:")
    assert errors[0].recoverable is True
    assert errors[0].session_id == "sess_x"
    assert failing_calls == 4  # two interruptions and the two error reports, each tried once


async def test_subscription_iterator_ends_after_close_and_filters() -> None:
    bus = EventBus("s")
    everything = bus.subscribe()
    only_drops = bus.subscribe((FramesDropped,))
    interruption(bus)
    bus.emit(FramesDropped, channel="c", total=1)
    bus.close()
    assert bus.emit(FramesDropped, channel="c", total=2) is not None  # emitting after close is harmless
    with anyio.fail_after(1):
        assert [event.type async for event in everything] == ["interruption", "frames_dropped"]
        assert [event.total async for event in only_drops] == [1]  # type: ignore[attr-defined]


async def test_slow_subscription_drops_oldest() -> None:
    bus = EventBus("s")
    subscription = bus.subscribe(size=2)
    for total in range(1, 6):
        bus.emit(FramesDropped, channel="c", total=total)
    bus.close()
    assert [event.total async for event in subscription] == [4, 5]  # type: ignore[attr-defined]
    assert subscription.dropped == 3


async def test_muted_types_are_not_emitted() -> None:
    bus = EventBus("s", muted=["vad_metrics", "frames_dropped"])
    subscription = bus.subscribe()
    assert bus.emit(VadMetrics, windows=1, inference_mean_ms=0.1, inference_max_ms=0.1) is None
    assert bus.emit(FramesDropped, channel="c", total=1) is None
    assert interruption(bus) is not None
    assert bus.is_muted(VadMetrics)
    assert not bus.is_muted(Interruption)
    bus.close()
    assert [event.type async for event in subscription] == ["interruption"]


async def test_timestamps_count_from_start_on_the_session_clock() -> None:
    bus = EventBus("s")
    assert interruption(bus).timestamp == 0.0  # type: ignore[union-attr]
    await anyio.sleep(5)
    async with anyio.create_task_group() as group:
        bus.start(group)
        await anyio.sleep(2.5)
        event = interruption(bus)
        bus.close()
    assert event is not None
    assert event.timestamp == pytest.approx(2.5)
    assert bus.now() == pytest.approx(2.5)


# --- serialisation -------------------------------------------------------------------------------------------


def test_events_round_trip_through_json() -> None:
    bus = EventBus("sess_json")
    events = [
        interruption(bus),
        bus.emit(AgentStateChanged, old=AgentState.THINKING, new=AgentState.SPEAKING, turn_id=3),
        bus.emit(
            UserTranscript,
            text="hello there",
            is_final=True,
            words=(WordTiming(word="hello", start=0.0, end=0.4, confidence=0.9),),
        ),
        bus.emit(
            ToolFinished, call_id="c1", name="lookup", status=ToolStatus.TIMEOUT, result="x", duration=1.0
        ),
        bus.emit(UsageSummary, usage=(UsageEntry(kind="llm", provider="p", model="m", prompt_tokens=5),)),
        bus.emit(SessionEnded, reason="ended"),
    ]
    for event in events:
        assert event is not None
        line = event.model_dump_json()
        assert "\n" not in line
        parsed = parse_event(line)
        assert type(parsed) is type(event)
        assert parsed == event
        assert parsed.event_id == event.event_id
    parsed_state = parse_event(events[1].model_dump_json())  # type: ignore[union-attr]
    assert parsed_state.new is AgentState.SPEAKING  # type: ignore[attr-defined]
    assert parsed_state.turn_id == 3


def test_parse_event_rejects_unknown_type() -> None:
    with pytest.raises(ValueError, match="unknown event type 'nope'"):
        parse_event('{"type": "nope", "timestamp": 0, "session_id": "s"}')


def test_events_are_frozen_and_strict() -> None:
    event = Interruption(timestamp=0.0, session_id="s", speech_id="x", speech_duration=1.0)
    with pytest.raises(ValueError):
        Interruption(timestamp=0.0, session_id="s", speech_id="x", speech_duration=1.0, extra=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        event.speech_id = "y"  # type: ignore[misc]
