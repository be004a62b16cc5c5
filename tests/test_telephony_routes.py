"""The telephony routes over real HTTP and WebSocket (Starlette's test client): answer documents whose stream URL
points at the stream route (public URL or request host), signatures checked on webhooks and stream upgrades,
and a short Twilio call end to end over a WebSocket."""

from __future__ import annotations

import base64
import json
import time

import numpy as np
import pytest
from nacl.signing import SigningKey
from plivo.utils.signature_v3 import construct_get_url, construct_post_url, get_signature_v3
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from twilio.request_validator import RequestValidator

from pipeline.base.audio import ulaw_encode
from pipeline.transports.telephony.routes import TelephonyRoutes
from pipeline.transports.telephony.settings import TelephonySettings
from tests.conversation import make_pipeline
from tests.doubles import FakeTts, ScriptedLlm, ScriptedStt, silence, tone

TOKEN = "twilio-secret"
PLIVO_TOKEN = "plivo-secret"
SIGNING = SigningKey(b"k" * 32)


def settings(**overrides: object) -> TelephonySettings:
    base = TelephonySettings(
        public_url="https://agent.example.com",
        twilio_auth_token=SecretStr(TOKEN),
        plivo_auth_token=SecretStr(PLIVO_TOKEN),
        telnyx_public_key=base64.b64encode(bytes(SIGNING.verify_key)).decode(),
    )
    return base.model_copy(update=overrides)


def client(routes_settings: TelephonySettings | None = None, **pipeline_args: object) -> TestClient:
    pipeline = make_pipeline(
        ScriptedStt(["hello"]), ScriptedLlm(["Hi there, how can I help?"]), FakeTts(), **pipeline_args
    )
    routes = TelephonyRoutes(pipeline, routes_settings or settings())
    return TestClient(Starlette(routes=routes.routes()))


def test_twilio_webhook_answers_with_twiml_when_the_signature_is_good() -> None:
    params = {"CallSid": "CA1", "From": "+14155550100", "To": "+18005551212"}
    signature = RequestValidator(TOKEN).compute_signature("https://agent.example.com/twilio", params)
    with client() as http:
        good = http.post("/twilio", data=params, headers={"X-Twilio-Signature": signature})
        bad = http.post("/twilio", data=params, headers={"X-Twilio-Signature": "AAAA" + signature[4:]})
        missing = http.post("/twilio", data=params)
    assert good.status_code == 200 and good.headers["content-type"].startswith("application/xml")
    assert '<Stream url="wss://agent.example.com/twilio/stream">' in good.text
    assert '<Parameter name="from" value="+14155550100" />' in good.text
    assert (bad.status_code, missing.status_code) == (403, 403)


def test_without_a_public_url_the_stream_url_comes_from_the_request_host() -> None:
    with client(settings(public_url=None, allow_unsigned=True)) as http:
        answer = http.post("/twilio", data={"CallSid": "CA1"}, headers={"host": "calls.example.org"})
        proxied = http.post(
            "/twilio",
            data={"CallSid": "CA1"},
            headers={"host": "calls.example.org", "x-forwarded-proto": "https"},
        )
    assert '<Stream url="ws://calls.example.org/twilio/stream" />' in answer.text
    assert '<Stream url="wss://calls.example.org/twilio/stream" />' in proxied.text


def test_plivo_webhook_checks_the_v3_signature() -> None:
    params = {"CallUUID": "c-1", "From": "+14155550100"}
    url = "https://agent.example.com/plivo"
    nonce = "31415926"
    signature = get_signature_v3(
        PLIVO_TOKEN.encode(), construct_post_url(url, params).decode(), nonce.encode()
    ).decode()
    headers = {"X-Plivo-Signature-V3": signature, "X-Plivo-Signature-V3-Nonce": nonce}
    with client() as http:
        good = http.post("/plivo", data=params, headers=headers)
        bad = http.post("/plivo", data=params, headers={**headers, "X-Plivo-Signature-V3-Nonce": "27182818"})
        transfer_url = "https://agent.example.com/plivo/transfer?to=%2B1555%2C%2B1666&hunt=parallel"
        get_sig = get_signature_v3(
            PLIVO_TOKEN.encode(), construct_get_url(transfer_url, {}).decode(), nonce.encode()
        )
        transfer = http.get(
            "/plivo/transfer?to=%2B1555%2C%2B1666&hunt=parallel",
            headers={"X-Plivo-Signature-V3": get_sig.decode(), "X-Plivo-Signature-V3-Nonce": nonce},
        )
    assert good.status_code == 200 and ">wss://agent.example.com/plivo/stream</Stream>" in good.text
    assert 'bidirectional="true"' in good.text and 'extraHeaders="from=+14155550100"' in good.text
    assert bad.status_code == 403
    assert (
        transfer.status_code == 200
        and transfer.text.count("<Number>") == 2
        and transfer.text.count("<Dial") == 1
    )


def test_telnyx_webhook_checks_the_ed25519_signature() -> None:
    body = b'{"data":{"event_type":"call.initiated","payload":{"call_control_id":"v3:1"}}}'
    stamp = str(int(time.time()))
    signature = base64.b64encode(SIGNING.sign(stamp.encode() + b"|" + body).signature).decode()
    headers = {"telnyx-signature-ed25519": signature, "telnyx-timestamp": stamp}
    with client() as http:
        good = http.post("/telnyx", content=body, headers=headers)
        bad = http.post("/telnyx", content=body + b" ", headers=headers)
    assert good.status_code == 200 and 'url="wss://agent.example.com/telnyx/stream"' in good.text
    assert 'bidirectionalMode="rtp"' in good.text
    assert bad.status_code == 403


def test_a_twilio_stream_with_a_bad_signature_is_closed_with_1008() -> None:
    with (
        client() as http,
        pytest.raises(WebSocketDisconnect) as closed,
        http.websocket_connect("/twilio/stream", headers={"X-Twilio-Signature": "nope"}) as ws,
    ):
        ws.receive_text()
    assert closed.value.code == 1008


def mulaw_chunks(samples: np.ndarray) -> list[str]:
    return [base64.b64encode(ulaw_encode(samples[i : i + 160])).decode() for i in range(0, len(samples), 160)]


def test_a_short_twilio_call_over_a_websocket() -> None:
    """Real time (a second or two of audio): the caller speaks, the agent answers with media and marks, the
    caller hangs up with ``stop``."""
    signature = RequestValidator(TOKEN).compute_signature("wss://agent.example.com/twilio/stream", {})
    caller = np.concatenate([tone(0.6, rate=8000), silence(0.6, rate=8000)])
    with (
        client() as http,
        http.websocket_connect("/twilio/stream", headers={"X-Twilio-Signature": signature}) as ws,
    ):
        ws.send_text(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        start = {
            "streamSid": "MZ9",
            "callSid": "CA9",
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            "customParameters": {"from": "+1"},
        }
        ws.send_text(
            json.dumps({"event": "start", "sequenceNumber": "1", "start": start, "streamSid": "MZ9"})
        )
        ws.send_text("this is not json")  # a bad message is reported and skipped; the call goes on
        for index, payload in enumerate(mulaw_chunks(caller)):
            media = {
                "track": "inbound",
                "chunk": str(index),
                "timestamp": str(index * 20),
                "payload": payload,
            }
            ws.send_text(
                json.dumps(
                    {"event": "media", "sequenceNumber": str(index + 2), "media": media, "streamSid": "MZ9"}
                )
            )
            time.sleep(0.02)
        received: list[dict[str, object]] = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and sum(1 for m in received if m["event"] == "media") < 20:
            received.append(json.loads(ws.receive_text()))
        ws.send_text(
            json.dumps(
                {"event": "stop", "sequenceNumber": "99", "stop": {"callSid": "CA9"}, "streamSid": "MZ9"}
            )
        )
    media = [m for m in received if m["event"] == "media"]
    assert len(media) >= 20 and all(m["streamSid"] == "MZ9" for m in media)
    assert len(base64.b64decode(media[0]["media"]["payload"])) == 160  # type: ignore[index]
    assert any(m["event"] == "mark" for m in received)


def test_a_sequential_twilio_hunt_rings_the_next_number_only_when_nobody_answered() -> None:
    from pipeline.session.phone import HuntMode
    from pipeline.transports.telephony.control import transfer_twiml

    first = transfer_twiml(
        ["+1555", "+1666", "+1777"],
        HuntMode.SEQUENTIAL,
        15,
        None,
        lambda q: "https://agent.example.com/twilio/dial-next?to=" + q["to"],
    )
    assert first.count("<Dial") == 1 and ">+1555</Number>" in first
    assert 'action="https://agent.example.com/twilio/dial-next?to=+1666,+1777"' in first

    def post(status: str) -> str:
        path = "/twilio/dial-next?to=%2B1666%2C%2B1777&ring=15"
        params = {"CallSid": "CA1", "DialCallStatus": status}
        signature = RequestValidator(TOKEN).compute_signature("https://agent.example.com" + path, params)
        with client() as http:
            answer = http.post(path, data=params, headers={"X-Twilio-Signature": signature})
        assert answer.status_code == 200
        return answer.text

    no_answer = post("no-answer")
    assert (
        ">+1666</Number>" in no_answer
        and "dial-next?to=%2B1777" in no_answer
        and "+1777</Number>" not in no_answer
    )
    assert post("completed").endswith("<Response><Hangup /></Response>")


def test_phone_options_from_the_environment_give_the_llm_its_tools() -> None:
    from pipeline.transports.telephony.settings import TelephonySettings

    env = {"PARLEY_TRANSFER_TO": "+1555, +1666", "PARLEY_TRANSFER_HUNT": "parallel", "PARLEY_IVR_TOOL": "1"}
    options = TelephonySettings.from_env(env)
    assert (options.transfer_to, options.transfer_hunt, options.ivr_tool) == (
        ("+1555", "+1666"),
        "parallel",
        True,
    )
    pipeline = make_pipeline(ScriptedStt([]), ScriptedLlm([]), FakeTts())
    session = pipeline.session()
    assert TelephonyRoutes(pipeline, options).apply_phone_options(session) == [
        "press_digits",
        "transfer_to_human",
    ]
    assert TelephonyRoutes(pipeline, TelephonySettings()).apply_phone_options(pipeline.session()) == []


def test_a_sequential_plivo_hunt_rings_the_next_number_only_when_nobody_answered() -> None:
    nonce = "11223344"

    def signed(method: str, path: str, params: dict[str, str]) -> dict[str, str]:
        url = "https://agent.example.com" + path
        base = construct_get_url(url, dict(params)) if method == "GET" else construct_post_url(url, params)
        signature = get_signature_v3(PLIVO_TOKEN.encode(), base.decode(), nonce.encode()).decode()
        return {"X-Plivo-Signature-V3": signature, "X-Plivo-Signature-V3-Nonce": nonce}

    first_path = "/plivo/transfer?to=%2B1555%2C%2B1666&hunt=sequential&ring=15"
    next_path = "/plivo/transfer?to=%2B1666&ring=15&hunt=sequential"
    with client() as http:
        first = http.get(first_path, headers=signed("GET", first_path, {}))
        no_answer = {"DialStatus": "no-answer", "CallUUID": "c-1"}
        second = http.post(next_path, data=no_answer, headers=signed("POST", next_path, no_answer))
        answered = {"DialStatus": "completed", "CallUUID": "c-1"}
        done = http.post(next_path, data=answered, headers=signed("POST", next_path, answered))
    assert (
        first.status_code == 200 and first.text.count("<Dial") == 1 and "<Number>+1555</Number>" in first.text
    )
    assert 'action="https://agent.example.com/plivo/transfer?to=%2B1666' in first.text
    assert (
        second.status_code == 200 and "<Number>+1666</Number>" in second.text and "+1555" not in second.text
    )
    assert done.status_code == 200 and "<Hangup" in done.text and "<Dial" not in done.text
