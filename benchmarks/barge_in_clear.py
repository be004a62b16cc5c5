"""Frames of an interrupted speech handed to the transport after the barge-in decision, with and without the
clear at the decision (``Playout.flush`` + ``Transport.clear``), on virtual time.

The transport's ``send`` stalls now and then (a congested link: every n-th write takes 100 ms), so agent frames
queue up ahead of it (up to ``output_buffer_frames``) — the frames that, without the clear, still reach the
caller after the decision. ``uv run python -m benchmarks.barge_in_clear``
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
from trio.testing import MockClock

from pipeline.base.compute import inline_compute
from pipeline.floor.playout import Playout
from pipeline.observe.events import Interruption
from tests.conversation import of_type
from tests.test_transport_link import ScriptedLine, long_reply_pipeline, run_over

BARGE_IN_AFTER = [1.0 + 0.13 * step for step in range(12)]  # seconds of agent speech before the caller talks
JITTER = [0, 7, 4, 3]  # every n-th send stalls 100 ms (0: never)


@contextmanager
def without_clear() -> Iterator[None]:
    """The runtime before the change: nothing dropped at the decision. (The transport is still told, only to
    time-stamp the decision: this in-memory transport holds nothing it could drop.)"""
    flush = Playout.flush
    Playout.flush = lambda self: 0.0  # type: ignore[method-assign]
    try:
        yield
    finally:
        Playout.flush = flush  # type: ignore[method-assign]


async def stale_frames(after: float, jitter: int) -> int:
    line = ScriptedLine(events=[], barge_in=True, hang_up_after=after, jitter_every=jitter)
    with inline_compute():
        await run_over(long_reply_pipeline(), line)
    interruptions = of_type(line.events, Interruption)
    if not interruptions:
        return -1
    decision = interruptions[0]
    decided_at = line.clears[0][0] if line.clears else None
    sent_after = [
        frame
        for at, frame in line.sent
        if frame.speech_id == decision.speech_id and (decided_at is None or at > decided_at)
    ]
    if decided_at is None:  # no clear: count by session time (frames stamped when they left the playout)
        sent_after = [
            f for _, f in line.sent if f.speech_id == decision.speech_id and f.timestamp >= decision.timestamp
        ]
    return len(sent_after)


def measure(clear: bool) -> dict[int, list[int]]:
    results: dict[int, list[int]] = {}
    for jitter in JITTER:
        counts = []
        for after in BARGE_IN_AFTER:

            async def one(after: float = after, jitter: int = jitter) -> int:
                return await stale_frames(after, jitter)

            if clear:
                counts.append(
                    anyio.run(one, backend="trio", backend_options={"clock": MockClock(autojump_threshold=0)})
                )
            else:
                with without_clear():
                    counts.append(
                        anyio.run(
                            one, backend="trio", backend_options={"clock": MockClock(autojump_threshold=0)}
                        )
                    )
        results[jitter] = counts
    return results


def main() -> None:
    before, after = measure(clear=False), measure(clear=True)
    print("frames of the interrupted speech handed to the transport after the decision")
    print(f"{'stall every':>12}  {'before: mean':>12} {'max':>4}   {'after: mean':>11} {'max':>4}   runs")
    for jitter in JITTER:
        b, a = [c for c in before[jitter] if c >= 0], [c for c in after[jitter] if c >= 0]
        label = "never" if jitter == 0 else f"{jitter}th send"
        print(
            f"{label:>12}  {statistics.mean(b):12.2f} {max(b):4d}   {statistics.mean(a):11.2f} {max(a):4d}   {len(b)}"
        )


if __name__ == "__main__":
    main()
