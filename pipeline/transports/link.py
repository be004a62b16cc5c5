"""``connect``: runs a started session over a transport until the call is over, whichever side ends it.

The caller's side ending (``Transport.run`` returns or raises) ends the session — at once on a hang-up, after the
speech in progress on a normal end — and the session ending on its own (the ``end_call`` tool, the idle
timeout, an error) stops the transport. Errors of the transport never escape: they become the session's end
reason, so a server hosting many calls sees ``connect`` return, never an ExceptionGroup.
"""

from __future__ import annotations

import anyio

from pipeline.session.session import Session
from pipeline.transports.recorder import CallRecorder
from pipeline.transports.transport import TRANSPORT_ERROR, CallEnd, CallLine, Transport

SESSION_ENDED = "session_ended"  # the agent's side ended the call (end_call, idle timeout, error)


class _Outcome:
    """The first way the call ended (later ones are ignored)."""

    def __init__(self) -> None:
        self.end: CallEnd | None = None
        self.decided = anyio.Event()

    def settle(self, end: CallEnd) -> None:
        if self.end is None:
            self.end = end
            self.decided.set()


async def connect(session: Session, transport: Transport, recorder: CallRecorder | None = None) -> CallEnd:
    """Run ``session`` (already started) over ``transport`` until the call is over; on return the session has
    ended. Returns how the call ended."""
    outcome = _Outcome()
    remove_clearer = session.on_output_cleared(transport.clear)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_caller_side, transport, CallLine(session, recorder), outcome)
            group.start_soon(_agent_side, session, transport, recorder, outcome)
            await outcome.decided.wait()
            assert outcome.end is not None
            end = outcome.end
            if end.hang_up:
                await session.hang_up(end.reason, end.error)
            else:
                await session.end(end.reason)
            group.cancel_scope.cancel()
    finally:
        remove_clearer()
    return end


async def _caller_side(transport: Transport, line: CallLine, outcome: _Outcome) -> None:
    try:
        end = await transport.run(line)
    except Exception as exc:
        end = CallEnd(TRANSPORT_ERROR, hang_up=True, error=f"{type(exc).__name__}: {exc}")
    outcome.settle(end)


async def _agent_side(
    session: Session, transport: Transport, recorder: CallRecorder | None, outcome: _Outcome
) -> None:
    try:
        async for frame in session.audio_out():
            if recorder is not None:
                recorder.agent(frame)
            await transport.send(frame)
    except Exception as exc:
        outcome.settle(CallEnd(TRANSPORT_ERROR, hang_up=True, error=f"{type(exc).__name__}: {exc}"))
        return
    outcome.settle(CallEnd(SESSION_ENDED, hang_up=False))  # the output closed: the session has ended
