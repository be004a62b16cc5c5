"""Bounded channels: backpressure, drop-oldest with reporting, clear/close, cancellation safety; and frame drops
reported as events by a session whose caller pushes audio faster than the pipeline reads it."""

from __future__ import annotations

import anyio
import numpy as np
import pytest

from pipeline.base.audio import AudioFrame
from pipeline.base.channel import Channel, ChannelClosed, Overflow
from pipeline.observe.events import Event, FramesDropped
from pipeline.session.pipeline import Pipeline
from pipeline.settings import SessionSettings
from tests.doubles import RATE, FakeTts, ScriptedLlm, ScriptedStt
from vad import EnergyVad

pytestmark = pytest.mark.anyio


async def settle() -> None:
    """Let every runnable task run until all are blocked (virtual time)."""
    await anyio.sleep(0.01)


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="channel 'x': size must be positive"):
        Channel("x", 0)


async def test_backpressure_blocks_sender_until_a_receive_and_keeps_order() -> None:
    channel: Channel[int] = Channel("text", 2)
    sent: list[int] = []

    async def producer() -> None:
        for item in range(5):
            await channel.send(item)
            sent.append(item)

    async with anyio.create_task_group() as group:
        group.start_soon(producer)
        await settle()
        assert sent == [0, 1]  # blocked on the third send
        assert len(channel) == 2
        assert await channel.receive() == 0
        await settle()
        assert sent == [0, 1, 2]
        received = [await channel.receive() for _ in range(4)]
    assert received == [1, 2, 3, 4]
    assert channel.dropped == 0


async def test_several_blocked_senders_are_served_in_order() -> None:
    channel: Channel[str] = Channel("text", 1)
    channel.send_nowait("first")
    async with anyio.create_task_group() as group:
        group.start_soon(channel.send, "a")
        await settle()
        group.start_soon(channel.send, "b")
        await settle()
        received = [await channel.receive() for _ in range(3)]
    assert received == ["first", "a", "b"]


async def test_send_nowait_returns_false_when_full_and_queues_nothing() -> None:
    channel: Channel[int] = Channel("control", 2)
    assert channel.send_nowait(1) is True
    assert channel.send_nowait(2) is True
    assert channel.send_nowait(3) is False
    assert len(channel) == 2
    assert [channel.receive_nowait(), channel.receive_nowait(), channel.receive_nowait()] == [1, 2, None]


async def test_drop_oldest_drops_and_reports_every_drop() -> None:
    drops: list[tuple[str, int]] = []
    channel: Channel[int] = Channel(
        "audio", 3, Overflow.DROP_OLDEST, on_drop=lambda *args: drops.append(args)
    )
    for item in range(6):
        assert channel.send_nowait(item) is True
    await channel.send(6)  # never waits either
    assert drops == [("audio", 1), ("audio", 2), ("audio", 3), ("audio", 4)]
    assert channel.dropped == 4
    assert [await channel.receive() for _ in range(3)] == [4, 5, 6]


async def test_drop_oldest_without_callback_still_counts() -> None:
    channel: Channel[int] = Channel("audio", 1, Overflow.DROP_OLDEST)
    channel.send_nowait(1)
    channel.send_nowait(2)
    assert channel.dropped == 1
    assert channel.receive_nowait() == 2


async def test_clear_discards_without_counting_and_unblocks_senders() -> None:
    channel: Channel[int] = Channel("text", 2)
    channel.send_nowait(1)
    channel.send_nowait(2)
    async with anyio.create_task_group() as group:
        group.start_soon(channel.send, 3)
        await settle()
        assert channel.clear() == 2
        await settle()
        assert len(channel) == 1  # the blocked sender got in
    assert channel.dropped == 0
    assert channel.receive_nowait() == 3
    assert channel.clear() == 0


async def test_close_drains_then_end_of_stream() -> None:
    channel: Channel[int] = Channel("text", 4)
    channel.send_nowait(1)
    channel.send_nowait(2)
    channel.close()
    assert channel.closed
    assert await channel.receive() == 1
    assert await channel.receive() == 2
    with pytest.raises(anyio.EndOfStream):
        await channel.receive()
    with pytest.raises(anyio.EndOfStream):
        await channel.receive()


async def test_close_ends_async_iteration_of_a_waiting_reader() -> None:
    channel: Channel[int] = Channel("text", 4)
    seen: list[int] = []
    finished = anyio.Event()

    async def reader() -> None:
        async for item in channel:
            seen.append(item)
        finished.set()

    async with anyio.create_task_group() as group:
        group.start_soon(reader)
        await channel.send(1)
        await settle()
        assert seen == [1]
        await channel.send(2)
        channel.close()  # item 2 is still delivered before the end
        with anyio.fail_after(1):
            await finished.wait()
    assert seen == [1, 2]


async def test_send_after_close_raises_channel_closed() -> None:
    channel: Channel[int] = Channel("events", 2, Overflow.DROP_OLDEST)
    channel.close()
    with pytest.raises(ChannelClosed, match="channel 'events' is closed"):
        channel.send_nowait(1)
    with pytest.raises(ChannelClosed):
        await channel.send(1)


async def test_close_wakes_a_blocked_sender_with_channel_closed() -> None:
    channel: Channel[int] = Channel("text", 1)
    channel.send_nowait(0)
    outcome: list[str] = []

    async def sender() -> None:
        try:
            await channel.send(1)
        except ChannelClosed:
            outcome.append("closed")

    async with anyio.create_task_group() as group:
        group.start_soon(sender)
        await settle()
        channel.close()
    assert outcome == ["closed"]
    assert channel.receive_nowait() == 0


@pytest.mark.parametrize("send_first", [False, True])
async def test_cancelled_receiver_does_not_lose_items(send_first: bool) -> None:
    channel: Channel[str] = Channel("text", 4)
    first: list[str] = []
    second: list[str] = []

    async def receive_into(into: list[str], scope: anyio.CancelScope) -> None:
        with scope:
            into.append(await channel.receive())

    first_scope, second_scope = anyio.CancelScope(), anyio.CancelScope()
    async with anyio.create_task_group() as group:
        group.start_soon(receive_into, first, first_scope)
        await settle()
        group.start_soon(receive_into, second, second_scope)
        await settle()
        # the first receiver is woken for the item and cancelled in the same instant
        if send_first:
            channel.send_nowait("item")
            first_scope.cancel()
        else:
            first_scope.cancel()
            channel.send_nowait("item")
        await settle()
        second_scope.cancel()
    # whoever got it, the item was delivered exactly once (never lost, never duplicated)
    assert first + second == ["item"]
    if not send_first:
        assert second == ["item"]  # the cancelled waiter passed the wake-up on


async def test_cancelled_receiver_leaves_no_stale_waiter() -> None:
    channel: Channel[int] = Channel("text", 4)
    with anyio.move_on_after(1):
        await channel.receive()
    channel.send_nowait(7)
    with anyio.fail_after(1):
        assert await channel.receive() == 7


# --- through a session ---------------------------------------------------------------------------------------


async def test_session_reports_dropped_caller_frames() -> None:
    settings = SessionSettings()  # 1000 ms input buffer of 20 ms frames: 50 frames
    pipeline = Pipeline(
        stt=ScriptedStt([]), llm=ScriptedLlm([]), tts=FakeTts(), vad=EnergyVad(), settings=settings
    )
    capacity = settings.audio.input_buffer_ms // settings.audio.frame_ms
    events: list[Event] = []
    frame_samples = RATE * settings.audio.frame_ms // 1000
    async with pipeline.session() as session:
        subscription = session.events(FramesDropped)
        async with anyio.create_task_group() as group:

            async def collect() -> None:
                async for event in subscription:
                    events.append(event)

            group.start_soon(collect)
            for index in range(200):  # no await: the input stage cannot read in between
                session.push_audio(
                    AudioFrame.from_int16(np.zeros(frame_samples, dtype=np.int16), RATE, index * 0.02)
                )
            await anyio.sleep(1.0)
            await session.end()
    assert capacity == 50
    assert all(isinstance(event, FramesDropped) for event in events)
    assert [event.total for event in events] == list(range(1, 200 - capacity + 1))
    assert {event.channel for event in events} == {"caller-audio"}
    assert all(event.session_id == session.id for event in events)
