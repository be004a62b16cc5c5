"""Phone-call features of a session: keypresses in (with an optional digit-collection policy) and out, transfer
to a human (cold or warm, hunt lists), and the call's phase, which says whether ending the session must also hang
up the phone call. The platform side (REST calls, stream messages) is a ``CallControl`` the transport supplies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Protocol

import anyio

from pipeline.base.audio import AudioFrame
from pipeline.base.phone.dtmf import dtmf_tones
from pipeline.observe.bus import EventBus
from pipeline.observe.phone_events import (
    DigitsCollected,
    DtmfReceived,
    DtmfSent,
    TransferFailed,
    TransferStarted,
)
from pipeline.stages.speech import Speech
from pipeline.stages.tools import Tool, make_tool


class TransferMode(StrEnum):
    """cold: the caller hears the hand-off line and is connected; warm: the human also hears a briefing first."""

    COLD = "cold"
    WARM = "warm"


class HuntMode(StrEnum):
    """How a list of numbers is tried: one after another, or all ringing at once (first to answer wins)."""

    SEQUENTIAL = "sequential"
    PARALLEL = "parallel"


class CallControlError(RuntimeError):
    """The platform refused or failed a call-control request (the message says what it answered)."""


class CallControl(Protocol):
    """What a phone platform can do to the call itself, outside the media stream (through its REST API)."""

    platform: str

    async def hang_up(self) -> bool:
        """End the phone call; False when it had already ended."""
        ...

    async def transfer(
        self, targets: Sequence[str], *, hunt: HuntMode, whisper: str | None, ring_seconds: int
    ) -> None:
        """Connect the caller to ``targets``; raises CallControlError when the platform refuses."""
        ...

    async def send_dtmf(self, digits: str) -> bool:
        """Play digits to the far end without leaving the stream; False when the platform cannot."""
        ...


class CallPhase(Enum):
    """active -> transferring -> (transferred | active again on failure); active -> hung_up."""

    ACTIVE = "active"
    TRANSFERRING = "transferring"
    TRANSFERRED = "transferred"
    HUNG_UP = "hung_up"  # the caller hung up, or we hung up through the platform


@dataclass(frozen=True)
class DigitPolicy:
    """Collect keypresses into one user turn: ended by ``terminator``, ``max_digits``, or ``timeout`` seconds
    after the last digit."""

    terminator: str | None = "#"
    timeout: float = 3.0
    max_digits: int | None = None


DEFAULT_DIGIT_POLICY = DigitPolicy()


class SpeechHost(Protocol):
    """What the phone features need from the session."""

    def say(self, text: str, *, allow_interruption: bool = True) -> Speech: ...

    def play(self, audio: AudioFrame, *, text: str = "", allow_interruption: bool = True) -> Speech: ...

    def user_keypad_turn(self, text: str) -> None: ...


class PhoneFeatures:
    """One phone call's features, attached to a session by the transport (``Session.attach_phone``)."""

    def __init__(
        self,
        control: CallControl,
        bus: EventBus,
        host: SpeechHost,
        *,
        sample_rate: int,
        stream_dtmf: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        self.control = control
        self.phase = CallPhase.ACTIVE
        self._bus = bus
        self._host = host
        self._rate = sample_rate
        self._stream_dtmf = stream_dtmf
        self._policy: DigitPolicy | None = None
        self._digits = ""
        self._digit_deadline: anyio.CancelScope | None = None
        self._task_group: anyio.abc.TaskGroup | None = None

    def start(self, task_group: anyio.abc.TaskGroup) -> None:
        self._task_group = task_group

    # --- keypresses in ----------------------------------------------------------------------------------------

    def collect_digits(self, policy: DigitPolicy | None = DEFAULT_DIGIT_POLICY) -> None:
        """Turn digit collection on (or off with None): collected digits become a user turn for the LLM."""
        self._policy = policy
        self._digits = ""

    def digit(self, digit: str, source: str) -> None:
        self._bus.emit(DtmfReceived, digit=digit, source="inband" if source == "inband" else "platform")
        policy = self._policy
        if policy is None:
            return
        if policy.terminator is not None and digit == policy.terminator:
            self._close_entry("terminator")
            return
        self._digits += digit
        if policy.max_digits is not None and len(self._digits) >= policy.max_digits:
            self._close_entry("max_digits")
            return
        self._restart_timer(policy.timeout)

    def _restart_timer(self, timeout: float) -> None:
        if self._digit_deadline is not None:
            self._digit_deadline.cancel()
        if self._task_group is not None:
            scope = anyio.CancelScope()
            self._digit_deadline = scope
            self._task_group.start_soon(self._time_out_entry, scope, timeout)

    async def _time_out_entry(self, scope: anyio.CancelScope, timeout: float) -> None:
        with scope:
            await anyio.sleep(timeout)
            self._close_entry("timeout")

    def _close_entry(self, ended_by: str) -> None:
        if self._digit_deadline is not None:
            self._digit_deadline.cancel()
            self._digit_deadline = None
        digits, self._digits = self._digits, ""
        if not digits:
            return
        reason = ended_by if ended_by in ("terminator", "timeout") else "max_digits"
        self._bus.emit(DigitsCollected, digits=digits, ended_by=reason)
        self._host.user_keypad_turn(f"(entered on the keypad) {digits}")

    # --- keypresses out ---------------------------------------------------------------------------------------

    async def send_dtmf(self, digits: str) -> str:
        """Send digits to the far end: the stream's own message, else the platform's REST call, else tones in
        the audio. Returns the method used."""
        dtmf_tones(digits, self._rate)  # validates the digits before anything is sent
        method: str
        if self._stream_dtmf is not None and await self._stream_dtmf(digits.replace("w", "")):
            method = "stream"
        elif await self.control.send_dtmf(digits):
            method = "rest"
        else:
            tones = AudioFrame.from_int16(dtmf_tones(digits, self._rate), self._rate)
            await self._host.play(tones, text="", allow_interruption=False)
            method = "tones"
        self._bus.emit(DtmfSent, digits=digits, method=method)
        return method

    # --- transfer ---------------------------------------------------------------------------------------------

    async def transfer(
        self,
        to: str | Sequence[str],
        *,
        mode: TransferMode | str = TransferMode.COLD,
        announce: str | None = None,
        whisper: str | None = None,
        hunt: HuntMode | str = HuntMode.SEQUENTIAL,
        ring_seconds: int = 20,
    ) -> bool:
        """Speak ``announce`` (the hand-off line) to the caller, then ask the platform to connect them. In warm
        mode the human hears ``whisper`` (a briefing) before being connected. Returns False (and emits
        ``transfer_failed``) when the platform refuses; the call then goes on with the agent."""
        targets = (to,) if isinstance(to, str) else tuple(to)
        if not targets:
            raise ValueError("transfer needs at least one number to call")
        mode, hunt = TransferMode(mode), HuntMode(hunt)
        if self.phase is not CallPhase.ACTIVE:
            raise RuntimeError(f"cannot transfer: the call is {self.phase.value}")
        self.phase = CallPhase.TRANSFERRING
        if announce:
            await self._host.say(announce, allow_interruption=False)
        platform = self.control.platform
        try:
            await self.control.transfer(
                targets,
                hunt=hunt,
                whisper=(whisper or announce) if mode is TransferMode.WARM else None,
                ring_seconds=ring_seconds,
            )
        except CallControlError as exc:
            self.phase = CallPhase.ACTIVE
            self._bus.emit(TransferFailed, targets=targets, platform=platform, reason=str(exc))
            return False
        self.phase = CallPhase.TRANSFERRED
        self._bus.emit(TransferStarted, targets=targets, mode=mode.value, hunt=hunt.value, platform=platform)
        return True

    # --- hang-up ----------------------------------------------------------------------------------------------

    def caller_hung_up(self) -> None:
        self.phase = CallPhase.HUNG_UP

    async def hang_up_if_active(self) -> bool | None:
        """At the end of the session: end the phone call too, unless it already ended or was transferred.
        Returns what the platform said (True: hung up, False: it had already ended), None when not asked."""
        if self.phase is not CallPhase.ACTIVE:
            return None
        self.phase = CallPhase.HUNG_UP
        return await self.control.hang_up()

    # --- tools for the LLM ------------------------------------------------------------------------------------

    def tools(
        self, *, human_numbers: Sequence[str] = (), hunt: HuntMode | str = HuntMode.SEQUENTIAL
    ) -> list[Tool]:
        """``press_digits`` (navigate an IVR) and, when ``human_numbers`` are given, ``transfer_to_human``."""

        async def press_digits(digits: str) -> str:
            """Press keys on the phone keypad, e.g. to navigate an automated menu (IVR).

            Args:
                digits: The keys to press, from 0-9, *, #, A-D; 'w' waits half a second.
            """
            method = await self.send_dtmf(digits)
            return f"Pressed {digits} ({method}). Listen to what the menu says next."

        async def transfer_to_human(summary: str = "") -> str:
            """Transfer the caller to a human colleague, when they ask for a person or you cannot help.

            Args:
                summary: One sentence for the colleague: who is calling and why.
            """
            done = await self.transfer(
                human_numbers,
                mode=TransferMode.WARM if summary else TransferMode.COLD,
                announce="Please hold while I connect you to a colleague.",
                whisper=summary or None,
                hunt=hunt,
            )
            if done:
                return "The caller is being connected to a colleague. Say nothing more."
            return "The transfer failed. Apologise and offer to help or take a message."

        tools = [make_tool(press_digits, name="press_digits", timeout=30.0)]
        if human_numbers:
            tools.append(make_tool(transfer_to_human, name="transfer_to_human", timeout=60.0))
        return tools
