"""Hang-up, transfer and DTMF through the real Twilio, Plivo and Telnyx SDKs against a loopback fake of their
REST APIs: the exact requests (auth, path, body), already-ended calls, and failures that become errors."""

from __future__ import annotations

import base64

import plivo
import plivo.rest.client
import pytest
import telnyx
from twilio.rest import Client as TwilioClient

from pipeline.session.phone import CallControlError, HuntMode
from pipeline.transports.telephony.control import (
    PlivoCallControl,
    TelnyxCallControl,
    TwilioCallControl,
    plivo_dial_xml,
    transfer_twiml,
)
from tests.fakes.telephony_rest import FakeTelephonyRest

pytestmark = [pytest.mark.anyio, pytest.mark.vendor_sdk]

TWILIO_SID, TWILIO_TOKEN = "AC" + "0" * 32, "twilio-secret"
PLIVO_ID, PLIVO_TOKEN = "MA" + "A" * 18, "plivo-secret"
TELNYX_KEY = "KEY-telnyx-secret"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def twilio(fake: FakeTelephonyRest, **kwargs: object) -> TwilioCallControl:
    client = TwilioClient(TWILIO_SID, TWILIO_TOKEN)
    client.api.base_url = fake.base_url
    return TwilioCallControl(client, "CA123", **kwargs)  # type: ignore[arg-type]


def plivo_control(fake: FakeTelephonyRest, monkeypatch: pytest.MonkeyPatch) -> PlivoCallControl:
    base = fake.base_url + "/v1/Account"
    for name in (
        "PLIVO_API_BASE_URI",
        "API_VOICE_BASE_URI",
        "API_VOICE_BASE_URI_FALLBACK_1",
        "API_VOICE_BASE_URI_FALLBACK_2",
    ):
        monkeypatch.setattr(plivo.rest.client, name, base)
    client = plivo.RestClient(PLIVO_ID, PLIVO_TOKEN)
    return PlivoCallControl(
        client, "uuid-1", dial_xml_url=lambda q: "https://example.com/plivo/transfer?to=" + q["to"]
    )


def telnyx_control(fake: FakeTelephonyRest) -> TelnyxCallControl:
    return TelnyxCallControl(
        telnyx.Telnyx(api_key=TELNYX_KEY, base_url=fake.base_url + "/v2", max_retries=0), "v3:cc"
    )


async def test_twilio_hang_up_and_transfer_send_the_documented_requests() -> None:
    async with FakeTelephonyRest() as fake:
        control = twilio(fake, whisper_url=lambda q: "https://example.com/twilio/whisper?text=" + q["text"])
        assert await control.hang_up() is True
        await control.transfer(
            ["+15550001", "+15550002"], hunt=HuntMode.PARALLEL, whisper="VIP", ring_seconds=15
        )
    hang_up, transfer = fake.calls
    path = f"/2010-04-01/Accounts/{TWILIO_SID}/Calls/CA123.json"
    assert (hang_up.method, hang_up.path, hang_up.form) == ("POST", path, {"Status": "completed"})
    assert hang_up.headers["authorization"] == basic(TWILIO_SID, TWILIO_TOKEN)
    assert transfer.form["Twiml"] == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Dial answerOnBridge="true" timeout="15">'
        '<Number url="https://example.com/twilio/whisper?text=VIP">+15550001</Number>'
        '<Number url="https://example.com/twilio/whisper?text=VIP">+15550002</Number></Dial><Hangup /></Response>'
    )
    assert await control.send_dtmf("12") is False  # Twilio: tones in the audio instead


async def test_twilio_already_ended_call_and_refused_transfer() -> None:
    async with FakeTelephonyRest() as fake:
        fake.fail_with["/2010-04-01/"] = (404, {"code": 20404, "message": "not found", "status": 404})
        control = twilio(fake)
        assert await control.hang_up() is False
        fake.fail_with["/2010-04-01/"] = (400, {"code": 21201, "message": "bad number", "status": 400})
        with pytest.raises(CallControlError, match="HTTP 400"):
            await control.transfer(["+1"], hunt=HuntMode.SEQUENTIAL, whisper=None, ring_seconds=20)


async def test_plivo_hang_up_transfer_and_digits(monkeypatch: pytest.MonkeyPatch) -> None:
    async with FakeTelephonyRest() as fake:
        control = plivo_control(fake, monkeypatch)
        assert await control.hang_up() is True
        await control.transfer(
            ["+15550001", "+15550002"], hunt=HuntMode.SEQUENTIAL, whisper=None, ring_seconds=20
        )
        assert await control.send_dtmf("12#") is True
        fake.fail_with["/v1/Account/"] = (404, {"error": "not found"})
        assert await control.hang_up() is False
        fake.fail_with["/v1/Account/"] = (400, {"error": "invalid leg"})
        with pytest.raises(CallControlError, match="plivo transfer failed"):
            await control.transfer(["+1"], hunt=HuntMode.SEQUENTIAL, whisper=None, ring_seconds=20)
    hang_up, transfer, digits = fake.calls[:3]
    assert (hang_up.method, hang_up.path) == ("DELETE", f"/v1/Account/{PLIVO_ID}/Call/uuid-1/")
    assert hang_up.headers["authorization"] == basic(PLIVO_ID, PLIVO_TOKEN)
    assert (transfer.method, transfer.path) == ("POST", f"/v1/Account/{PLIVO_ID}/Call/uuid-1/")
    assert transfer.json["legs"] == "aleg" and transfer.json["aleg_url"].endswith("to=+15550001,+15550002")
    assert (digits.path, digits.json["digits"], digits.json["leg"]) == (
        f"/v1/Account/{PLIVO_ID}/Call/uuid-1/DTMF/",
        "12#",
        "aleg",
    )


async def test_telnyx_hang_up_transfer_hunt_and_digits() -> None:
    async with FakeTelephonyRest() as fake:
        control = telnyx_control(fake)
        assert await control.hang_up() is True
        assert await control.send_dtmf("1w2") is True
        fake.fail_with["/v2/calls/v3:cc/actions/transfer"] = (
            422,
            {"errors": [{"code": "90034", "title": "x"}]},
        )
        with pytest.raises(CallControlError, match=r"\+15550001: HTTP 422; \+15550002: HTTP 422"):
            await control.transfer(
                ["+15550001", "+15550002"], hunt=HuntMode.SEQUENTIAL, whisper=None, ring_seconds=20
            )
        with pytest.raises(CallControlError, match="one number at a time"):
            await control.transfer(["+1", "+2"], hunt=HuntMode.PARALLEL, whisper=None, ring_seconds=20)
        fake.fail_with.clear()
        await control.transfer(["+15550003"], hunt=HuntMode.SEQUENTIAL, whisper=None, ring_seconds=20)
        fake.fail_with["/v2/calls/v3:cc/actions/hangup"] = (
            422,
            {"errors": [{"code": "90018", "title": "ended"}]},
        )
        assert await control.hang_up() is False
    hang_up, dtmf, first, second, third = fake.calls[:5]
    assert (hang_up.method, hang_up.path) == ("POST", "/v2/calls/v3:cc/actions/hangup")
    assert hang_up.headers["authorization"] == f"Bearer {TELNYX_KEY}"
    assert dtmf.json == {"digits": "1w2", "duration_millis": 250}
    assert [call.json["to"] for call in (first, second, third)] == ["+15550001", "+15550002", "+15550003"]
    assert third.json["timeout_secs"] == 20


def test_transfer_documents_for_hunt_lists() -> None:
    sequential = transfer_twiml(["+1", "+2"], HuntMode.SEQUENTIAL, 20, None)
    assert sequential.count("<Dial") == 2 and sequential.endswith("<Hangup /></Response>")
    parallel = plivo_dial_xml(["+1", "+2"], HuntMode.PARALLEL, 20)
    assert parallel.count("<Dial") == 1 and parallel.count("<Number>") == 2
    assert plivo_dial_xml(["+1", "+2"], HuntMode.SEQUENTIAL, 20).count("<Dial") == 2


async def test_outbound_calls_are_placed_with_the_answer_url_pointing_back_at_us(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic import SecretStr

    from pipeline.transports.telephony.outbound import OutboundCallError, place_call
    from pipeline.transports.telephony.settings import TelephonySettings

    async with FakeTelephonyRest() as fake:
        base = plivo_control(fake, monkeypatch)  # patches the Plivo base URL
        del base
        monkeypatch.setenv("TELNYX_CONNECTION_ID", "conn-1")
        settings = TelephonySettings(
            public_url="https://agent.example.com",
            twilio_account_sid=TWILIO_SID,
            twilio_auth_token=SecretStr(TWILIO_TOKEN),
            twilio_api_base=fake.base_url,
            plivo_auth_id=PLIVO_ID,
            plivo_auth_token=SecretStr(PLIVO_TOKEN),
            telnyx_api_key=SecretStr(TELNYX_KEY),
            telnyx_api_base=fake.base_url + "/v2",
        )
        placed = [
            await place_call(settings, "twilio", "+15551230000", "+15550000001", platform_amd=True),
            await place_call(settings, "plivo", "+15551230000", "+15550000001"),
            await place_call(settings, "telnyx", "+15551230000", "+15550000001"),
        ]
        with pytest.raises(OutboundCallError, match="--public-url"):
            await place_call(settings.model_copy(update={"public_url": None}), "twilio", "+1", "+2")
        fake.fail_with["/2010-04-01/"] = (400, {"code": 21211, "message": "invalid To", "status": 400})
        with pytest.raises(OutboundCallError, match="twilio refused the call: HTTP 400"):
            await place_call(settings, "twilio", "+1", "+2")
    assert [(p.platform, p.call_id) for p in placed] == [
        ("twilio", "CA-new"),
        ("plivo", "req-1"),
        ("telnyx", "v3:new"),
    ]
    twilio_create, plivo_create, telnyx_dial = fake.calls[:3]
    assert twilio_create.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Calls.json"
    assert twilio_create.form == {
        "To": "+15551230000",
        "From": "+15550000001",
        "Url": "https://agent.example.com/twilio",
        "Method": "POST",
        "MachineDetection": "DetectMessageEnd",
        "AsyncAmd": "true",
        "AsyncAmdStatusCallback": "https://agent.example.com/twilio/amd",
    }
    assert plivo_create.path == f"/v1/Account/{PLIVO_ID}/Call/"
    assert (
        plivo_create.json["answer_url"] == "https://agent.example.com/plivo"
        and plivo_create.json["to"] == "+15551230000"
    )
    assert telnyx_dial.path == "/v2/calls" and telnyx_dial.headers["authorization"] == f"Bearer {TELNYX_KEY}"
    assert telnyx_dial.json["stream_url"] == "wss://agent.example.com/telnyx/stream"
    assert (
        telnyx_dial.json["stream_bidirectional_mode"],
        telnyx_dial.json["stream_bidirectional_codec"],
    ) == ("rtp", "PCMU")
    assert telnyx_dial.json["connection_id"] == "conn-1"
