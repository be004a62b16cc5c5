"""Fault injection shared by the fake servers.

A test queues faults on a fake (`fake.faults.push(Reject(401))`); the next request or websocket connection
takes one `FaultPlan` off the queue and the fake applies it. Each fake renders vendor-specific details
(error bodies, in-band error frames, close codes) itself; this module only says *what* goes wrong *when*.
"""

from __future__ import annotations

import asyncio
import enum
import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reject:
    """Refuse the HTTP request or websocket handshake with `status`.

    `body=None` means the vendor's documented error body for that status; `headers` are added as-is.
    """

    status: int
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def rate_limited(cls, retry_after_s: float = 0.001) -> Reject:
        """A 429 carrying both `retry-after-ms` and `retry-after` (the OpenAI SDK prefers the former)."""
        headers = {
            "retry-after-ms": str(max(1, round(retry_after_s * 1000))),
            "retry-after": str(max(1, math.ceil(retry_after_s))),
        }
        return cls(429, headers=headers)

    def body_or(self, default: Callable[[int], bytes]) -> bytes:
        """The body to send: the given one, else `default(status)` (the vendor's error body)."""
        return self.body if self.body is not None else default(self.status)


@dataclass(frozen=True)
class DropAfter:
    """Abort the TCP connection after `chunks` body chunks / websocket messages (no final chunk or close frame)."""

    chunks: int


@dataclass(frozen=True)
class SlowFirstByte:
    """Hold back the very first response byte (HTTP status line / websocket handshake answer) for `seconds`."""

    seconds: float


class MalformedKind(enum.Enum):
    INVALID_JSON = "invalid_json"
    UNKNOWN_TYPE = "unknown_type"
    BAD_FIELDS = "bad_fields"  # a known message type whose fields have the wrong types (Deepgram Results)


@dataclass(frozen=True)
class Malformed:
    """Insert one malformed frame before chunk/message number `after` (0 = first)."""

    kind: MalformedKind = MalformedKind.INVALID_JSON
    after: int = 0


@dataclass(frozen=True)
class ErrorFrame:
    """Send the vendor's in-band error before chunk/message number `after`, then end the stream.

    Deepgram: `{"type":"Error",...}` + close 1011; OpenAI: `data: {"error":{...}}`; ElevenLabs websocket:
    `{"error":...,"message":...}` + close 1011.
    """

    after: int = 0
    message: str | None = None


Fault = Reject | DropAfter | SlowFirstByte | Malformed | ErrorFrame


class StreamAction(enum.Enum):
    """What a sender must do before emitting a given chunk."""

    SEND_MALFORMED = "send_malformed"
    SEND_ERROR = "send_error"
    DROP = "drop"


@dataclass(frozen=True)
class FaultPlan:
    """Every fault applying to one request or connection."""

    reject: Reject | None = None
    drop_after: int | None = None
    first_byte_delay: float = 0.0
    malformed: Malformed | None = None
    error_frame: ErrorFrame | None = None

    @classmethod
    def of(cls, faults: Iterable[Fault]) -> FaultPlan:
        reject: Reject | None = None
        drop_after: int | None = None
        delay = 0.0
        malformed: Malformed | None = None
        error_frame: ErrorFrame | None = None
        for fault in faults:
            match fault:
                case Reject():
                    reject = fault
                case DropAfter(chunks=chunks):
                    drop_after = chunks
                case SlowFirstByte(seconds=seconds):
                    delay += seconds
                case Malformed():
                    malformed = fault
                case ErrorFrame():
                    error_frame = fault
        return cls(reject, drop_after, delay, malformed, error_frame)

    def actions_before(self, index: int) -> list[StreamAction]:
        """Actions due before chunk `index` (0-based), in the order they must happen."""
        return [action for action, position in self._positions() if position == index]

    def actions_from(self, index: int) -> list[StreamAction]:
        """Actions positioned at or past `index`: what is still due when a stream ends after `index` chunks."""
        return [action for action, position in self._positions() if position >= index]

    def _positions(self) -> list[tuple[StreamAction, int]]:
        positions: list[tuple[StreamAction, int]] = []
        if self.malformed is not None:
            positions.append((StreamAction.SEND_MALFORMED, self.malformed.after))
        if self.error_frame is not None:
            positions.append((StreamAction.SEND_ERROR, self.error_frame.after))
        if self.drop_after is not None:
            positions.append((StreamAction.DROP, self.drop_after))
        return sorted(positions, key=lambda item: item[1])


NO_FAULTS = FaultPlan()


class FaultQueue:
    """FIFO of fault plans; each request/connection takes the next one (or none)."""

    def __init__(self) -> None:
        self._plans: deque[FaultPlan] = deque()

    def push(self, *faults: Fault, times: int = 1) -> None:
        """Apply all of `faults` together to each of the next `times` requests/connections."""
        plan = FaultPlan.of(faults)
        self._plans.extend(plan for _ in range(times))

    async def take(self) -> FaultPlan:
        """The next plan (or none), once its `SlowFirstByte` delay has passed."""
        plan = self._plans.popleft() if self._plans else NO_FAULTS
        if plan.first_byte_delay > 0:
            await asyncio.sleep(plan.first_byte_delay)
        return plan

    def clear(self) -> None:
        self._plans.clear()
