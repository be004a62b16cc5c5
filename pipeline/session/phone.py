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
from pipeline.base.phone.dtmf import DtmfDetector, dtmf_tones
from pipeline.observe.bus import EventBus
from pipeline.observe.phone_events import (
    DigitsCollected,
    DtmfReceived,
    DtmfSent,
    TransferFailed,
    TransferStarted,
)
from pipeline.session.voicemail import VoicemailDetection, VoicemailPolicy
from pipeline.stages.speech import Speech
from pipeline.stages.tools import Tool, make_tool

DEFAULT_VOICEMAIL_POLICY = VoicemailPolicy()


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

    def end_call(self, reason: str, goodbye: str | None) -> None: ...

    def say(self, text: str, *, allow_interruption: bool = True) -> Speech: ...

    def play(self, audio: AudioFrame, *, text: str = "", allow_interruption: bool = True) -> Speech: ...

    def user_keypad_turn(self, text: str) -> None: ...

    def inject(self, text: str) -> None: ...

    def generate_reply(self) -> Speech: ...


class NoCallControl:
    """A session that is not (yet) a platform phone call: keypresses work, call control says what it cannot do."""

    def __init__(self, platform: str = "none") -> None:
        self.platform = platform

    async def hang_up(self) -> bool:
        return False

    async def transfer(
        self, targets: Sequence[str], *, hunt: HuntMode, whisper: str | None, ring_seconds: int
    ) -> None:
        raise CallControlError(
            f"{self.platform}: no call control (REST credentials) configured, so no transfer"
        )

    async def send_dtmf(self, digits: str) -> bool:
        return False


class PhoneFeatures:
    """A session's phone features. Every session has them; a telephony transport ``attach``es the platform's
    call control. ``run`` (started with the session's stages) times out digit entries."""

    def __init__(self, bus: EventBus, host: SpeechHost, *, sample_rate: int) -> None:
        self.control: CallControl = NoCallControl()
        self.phase = CallPhase.ACTIVE
        self._bus = bus
        self._host = host
        self._rate = sample_rate
        self._stream_dtmf: Callable[[str], Awaitable[bool]] | None = None
        self._policy: DigitPolicy | None = None
        self._digits = ""
        self._digit_deadline: float | None = None
        self._wake = anyio.Event()
        self._inband: DtmfDetector | None = None
        self._inband_wanted = False
        self.voicemail: VoicemailDetection | None = None
        # work a tool starts but must not wait for (a transfer speaks after the tool's own reply)
        self._jobs_in, self._jobs_out = anyio.create_memory_object_stream[Callable[[], Awaitable[object]]](8)

    def attach(
        self, control: CallControl, *, stream_dtmf: Callable[[str], Awaitable[bool]] | None = None
    ) -> None:
        """The platform's call control (REST) and, where the stream has one, its DTMF message."""
        self.control = control
        self._stream_dtmf = stream_dtmf

    async def run(self) -> None:
        with self._jobs_in, self._jobs_out:  # closed when the session ends, so no stream outlives it
            await self._run_until_cancelled()

    async def _run_until_cancelled(self) -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(self._run_jobs)
            await self._time_digit_entries()

    async def _run_jobs(self) -> None:
        async for job in self._jobs_out:
            await job()

    async def _time_digit_entries(self) -> None:
        while True:
            deadline = self._digit_deadline
            if deadline is None:
                await self._wake.wait()
                self._wake = anyio.Event()
                continue
            with anyio.move_on_after(max(0.0, deadline - anyio.current_time())):
                await self._wake.wait()
                self._wake = anyio.Event()
                continue
            if self._digit_deadline == deadline:
                self._close_entry("timeout")

    # --- caller audio -----------------------------------------------------------------------------------------

    def detect_inband_dtmf(self, enabled: bool = True) -> None:
        """Listen for keypad tones in the caller's audio (for transports without out-of-band DTMF)."""
        self._inband_wanted = enabled
        self._inband = None

    def detect_voicemail(self, policy: VoicemailPolicy | None = DEFAULT_VOICEMAIL_POLICY) -> None:
        """Answering-machine then beep detection on the callee's audio (outbound calls); None turns it off."""
        self.voicemail = VoicemailDetection(policy, self._bus, self._host) if policy is not None else None

    def platform_amd(self, answered_by: str) -> None:
        """The platform's own answering-machine result (Twilio ``AnsweredBy``), e.g. from its AMD callback."""
        if self.voicemail is not None:
            self.voicemail.platform_result(answered_by)

    def hear(self, frame: AudioFrame) -> None:
        """Caller audio as it arrives (the session passes every frame)."""
        if self._inband_wanted:
            if self._inband is None or self._inband.sample_rate != frame.sample_rate:
                self._inband = DtmfDetector(frame.sample_rate)
            for detected in self._inband.push(frame.to_int16()):
                self.digit(detected.digit, "inband")
        if self.voicemail is not None and self.voicemail.active:
            self.voicemail.hear(frame)

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
        self._digit_deadline = anyio.current_time() + policy.timeout
        self._wake.set()

    def _close_entry(self, ended_by: str) -> None:
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

            async def hand_off() -> None:
                done = await self.transfer(
                    human_numbers,
                    mode=TransferMode.WARM if summary else TransferMode.COLD,
                    announce="Please hold while I connect you to a colleague.",
                    whisper=summary or None,
                    hunt=hunt,
                )
                if not done:
                    self._host.inject(
                        "The transfer to a colleague failed. Apologise and offer to take a message."
                    )
                    self._host.generate_reply()

            if self.phase is not CallPhase.ACTIVE:
                return "A transfer is already under way."
            try:
                self._jobs_in.send_nowait(hand_off)
            except anyio.WouldBlock:
                return "Too much is going on to transfer now; try again in a moment."
            except anyio.ClosedResourceError:
                return "The call is ending, so there is no transfer."
            return "The transfer is starting; the hand-off line is spoken for you. Say nothing more."

        tools = [make_tool(press_digits, name="press_digits", timeout=30.0)]
        if human_numbers:
            tools.append(make_tool(transfer_to_human, name="transfer_to_human", timeout=60.0))
        return tools
