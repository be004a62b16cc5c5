"""Phone-agent features on whole calls (virtual time): voicemail detection then the beep then the message and
hang-up, the platform's AMD result, in-band keypad tones, sending DTMF (stream message or tones), transfer with
its events, and the REST hang-up when the agent ends the call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pytest

from pipeline.base.phone.dtmf import DtmfDetector, dtmf_tones
from pipeline.observe.events import SessionEnded
from pipeline.observe.phone_events import (
    DtmfReceived,
    DtmfSent,
    TransferFailed,
    TransferStarted,
    VoicemailBeep,
    VoicemailDetected,
)
from pipeline.session.phone import CallControlError, HuntMode
from pipeline.session.voicemail import VoicemailPolicy
from pipeline.transports.telephony.messages import StreamStarted
from tests.conversation import make_pipeline
from tests.doubles import FakeTts, ScriptedLlm, ScriptedStt, call
from tests.fakes.phone_platform import PHONE_RATE
from tests.phone_harness import PhoneRun, phone_call, quiet, until
from tests.speech_audio import speak

pytestmark = pytest.mark.anyio


@dataclass
class RecordingControl:
    """A CallControl that records what was asked (the SDK requests themselves are tested against REST fakes)."""

    platform: str = "twilio"
    refuse_transfer: bool = False
    hang_ups: int = 0
    transfers: list[tuple[tuple[str, ...], HuntMode, str | None]] = field(default_factory=list)

    async def hang_up(self) -> bool:
        self.hang_ups += 1
        return True

    async def transfer(
        self, targets: Sequence[str], *, hunt: HuntMode, whisper: str | None, ring_seconds: int
    ) -> None:
        self.transfers.append((tuple(targets), hunt, whisper))
        if self.refuse_transfer:
            raise CallControlError("twilio transfer failed: HTTP 400 bad number")

    async def send_dtmf(self, digits: str) -> bool:
        return False


def factory(control: RecordingControl):  # type: ignore[no-untyped-def]
    def make(started: StreamStarted) -> RecordingControl:
        return control

    return make


def beep(seconds: float = 0.4, frequency: float = 1000.0) -> np.ndarray:
    t = np.arange(round(seconds * PHONE_RATE)) / PHONE_RATE
    return (np.sin(2 * np.pi * frequency * t) * 8000).astype(np.int16)


GREETING = "Hi, you have reached John Smith. I cannot take your call right now, please leave a message after the tone."


async def test_a_machine_greeting_then_a_beep_leaves_the_message_and_hangs_up() -> None:
    control = RecordingControl()
    pipeline = make_pipeline(ScriptedStt(["greeting"]), ScriptedLlm([]), FakeTts())
    greeting = speak(GREETING, sample_rate=PHONE_RATE)

    async def script(run: PhoneRun) -> None:
        await until(lambda: run.session is not None)
        assert run.session is not None
        run.session.phone.detect_voicemail(
            VoicemailPolicy(message="Hi, this is Parley calling about your order.")
        )
        await run.platform.media(quiet(0.3))
        await run.platform.media(greeting)
        await run.platform.media(quiet(0.3))
        await run.platform.media(beep())
        await run.platform.media(quiet(5.0))
        await until(lambda: run.ended_at is not None)

    run = await phone_call(pipeline, "twilio", script, control=factory(control))

    detected = run.of(VoicemailDetected)
    assert [(d.answered_by, d.source) for d in detected] == [("machine", "audio")]
    assert detected[0].evidence.rule == "long_greeting" and detected[0].decided_after < 2.5
    beeps = run.of(VoicemailBeep)
    assert len(beeps) == 1 and abs(beeps[0].frequency - 1000) < 10 and beeps[0].detected_after < 0.2
    assert run.of(SessionEnded)[0].reason == "voicemail"
    # the message was spoken after the beep (FakeTts: 0.05 s per character), then the call was hung up by REST
    assert run.platform.heard_seconds() == pytest.approx(
        len("Hi, this is Parley calling about your order.") * 0.05, abs=0.05
    )
    assert control.hang_ups == 1 and run.report is not None and run.report.hung_up_by_rest is True


async def test_a_short_hello_is_a_human_and_the_call_goes_on() -> None:
    pipeline = make_pipeline(ScriptedStt(["hello"]), ScriptedLlm(["Hi, this is Parley."]), FakeTts())
    hello = speak("Hello?", sample_rate=PHONE_RATE)

    async def script(run: PhoneRun) -> None:
        await until(lambda: run.session is not None)
        assert run.session is not None
        run.session.phone.detect_voicemail(VoicemailPolicy(message="never said"))
        await run.platform.media(quiet(0.5))
        await run.platform.media(hello)
        await run.platform.media(quiet(3.0))
        await run.platform.stop()

    run = await phone_call(pipeline, "plivo", script)

    detected = run.of(VoicemailDetected)
    assert [(d.answered_by, d.evidence.rule) for d in detected] == [("human", "short_greeting")]
    assert run.of(SessionEnded)[0].reason == "caller_stopped"


async def test_twilio_answered_by_is_accepted_as_a_signal() -> None:
    pipeline = make_pipeline(ScriptedStt([]), ScriptedLlm([]), FakeTts())

    async def script(run: PhoneRun) -> None:
        await until(lambda: run.session is not None)
        assert run.session is not None
        run.session.phone.detect_voicemail(VoicemailPolicy(message="Please call us back."))
        run.session.phone.platform_amd("machine_end_beep")
        await run.platform.media(quiet(4.0))
        await until(lambda: run.ended_at is not None)

    run = await phone_call(pipeline, "twilio", script)

    detected = run.of(VoicemailDetected)
    assert [(d.answered_by, d.source, d.evidence.platform_value) for d in detected] == [
        ("machine", "platform", "machine_end_beep")
    ]
    assert run.of(SessionEnded)[0].reason == "voicemail"
    assert run.platform.heard_seconds() > 0.5


async def test_inband_keypad_tones_become_dtmf_events() -> None:
    pipeline = make_pipeline(ScriptedStt([]), ScriptedLlm([]), FakeTts())
    noise = np.random.default_rng(3).normal(0, 200, PHONE_RATE).astype(np.int16)

    async def script(run: PhoneRun) -> None:
        await until(lambda: run.session is not None)
        assert run.session is not None
        run.session.phone.detect_inband_dtmf()
        await run.platform.media(
            np.concatenate([noise, dtmf_tones("90210*", PHONE_RATE) + noise[:7680], noise])
        )
        await run.platform.stop()

    run = await phone_call(pipeline, "telnyx", script)

    assert "".join(event.digit for event in run.of(DtmfReceived)) == "90210*"
    assert {event.source for event in run.of(DtmfReceived)} == {"inband"}


@pytest.mark.parametrize(("platform", "method"), [("plivo", "stream"), ("twilio", "tones")])
async def test_send_dtmf_uses_the_stream_message_or_tones(platform: str, method: str) -> None:
    pipeline = make_pipeline(ScriptedStt([]), ScriptedLlm([]), FakeTts())

    async def script(run: PhoneRun) -> None:
        await until(lambda: run.session is not None)
        assert run.session is not None
        assert await run.session.send_dtmf("12#") == method
        await run.platform.media(quiet(1.0))
        await run.platform.stop()

    run = await phone_call(pipeline, platform, script)

    assert [(e.digits, e.method) for e in run.of(DtmfSent)] == [("12#", method)]
    if method == "stream":
        assert [m.message for m in run.platform.sent("sendDTMF")] == [{"event": "sendDTMF", "dtmf": "12#"}]
    else:  # the tones the caller heard decode back to the digits
        heard = np.concatenate([samples for _, samples in run.platform.heard])
        assert "".join(d.digit for d in DtmfDetector(PHONE_RATE).push(heard)) == "12#"


@pytest.mark.parametrize("refuse", [False, True])
async def test_transfer_to_human_tool_speaks_the_hand_off_then_transfers(refuse: bool) -> None:
    control = RecordingControl(refuse_transfer=refuse)
    llm = ScriptedLlm(
        [[call("transfer_to_human", '{"summary": "Billing question from Ann"}')], "Sorry about that."]
    )
    pipeline = make_pipeline(ScriptedStt(["I want a person"]), llm, FakeTts())

    async def script(run: PhoneRun) -> None:
        await until(lambda: run.session is not None)
        assert run.session is not None
        run.session.add_tools(
            run.session.phone.tools(human_numbers=["+15550001", "+15550002"], hunt="parallel")
        )
        await run.platform.media(quiet(0.2))
        from tests.phone_harness import speech

        await run.platform.media(speech(0.8))
        await run.platform.media(quiet(0.4))
        await until(lambda: bool(run.of(TransferStarted) or run.of(TransferFailed)))
        await run.platform.media(quiet(1.0))
        await run.platform.stop()

    run = await phone_call(pipeline, "twilio", script, control=factory(control))

    assert control.transfers == [(("+15550001", "+15550002"), HuntMode.PARALLEL, "Billing question from Ann")]
    if refuse:
        failed = run.of(TransferFailed)
        assert len(failed) == 1 and "HTTP 400" in failed[0].reason and not run.of(TransferStarted)
    else:
        started = run.of(TransferStarted)
        assert [(s.targets, s.mode, s.hunt) for s in started] == [
            (("+15550001", "+15550002"), "warm", "parallel")
        ]
    # the hand-off line was heard before the transfer request
    assert (
        run.platform.heard_seconds() >= len("Please hold while I connect you to a colleague.") * 0.05 - 0.05
    )


async def test_the_agent_ending_the_call_hangs_up_through_rest() -> None:
    control = RecordingControl(platform="telnyx")
    llm = ScriptedLlm([[call("end_call"), "Goodbye!"]])
    pipeline = make_pipeline(ScriptedStt(["bye"]), llm, FakeTts())

    async def script(run: PhoneRun) -> None:
        from tests.phone_harness import speech

        await run.platform.media(speech(0.6))
        await run.platform.media(quiet(4.0))
        await until(lambda: run.ended_at is not None)

    run = await phone_call(pipeline, "telnyx", script, control=factory(control))

    assert run.of(SessionEnded)[0].reason == "end_call"
    assert control.hang_ups == 1 and run.report is not None and run.report.hung_up_by_rest is True
