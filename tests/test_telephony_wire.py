"""The three platforms' wire formats, answer documents and webhook signatures, checked against the messages and
test vectors in the protocol document (shared/TELEPHONY.md), not against the server code."""

from __future__ import annotations

import base64
import json
import time

import pytest
from nacl.signing import SigningKey

from pipeline.base.audio import ulaw_encode
from pipeline.transports.telephony.codec import PhoneAudioIn, PhoneAudioOut
from pipeline.transports.telephony.messages import (
    AudioCleared,
    DtmfReceived,
    MarkPlayed,
    MediaChunk,
    PlatformError,
    StreamConnected,
    StreamStarted,
    StreamStopped,
    TelephonyMessageError,
)
from pipeline.transports.telephony.plivo import PlivoSerializer, plivo_answer, valid_plivo_signature
from pipeline.transports.telephony.telnyx import TelnyxSerializer, texml_answer, valid_telnyx_signature
from pipeline.transports.telephony.twilio import TwilioSerializer, twiml_answer, valid_twilio_signature

PAYLOAD = base64.b64encode(b"\xff" * 160).decode()


def test_twilio_messages_parse_into_typed_messages() -> None:
    wire = TwilioSerializer()
    assert wire.parse('{"event":"connected","protocol":"Call","version":"1.0.0"}') == StreamConnected()
    start = wire.parse(
        json.dumps(
            {
                "event": "start",
                "sequenceNumber": "1",
                "start": {
                    "accountSid": "AC1",
                    "streamSid": "MZ1",
                    "callSid": "CA1",
                    "tracks": ["inbound"],
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                    "customParameters": {"from": "+14155550100", "plan": "gold"},
                },
                "streamSid": "MZ1",
            }
        )
    )
    assert start == StreamStarted(
        call_id="CA1",
        stream_id="MZ1",
        encoding="mulaw",
        custom_parameters={"from": "+14155550100", "plan": "gold"},
        caller="+14155550100",
    )
    media = wire.parse(
        json.dumps(
            {
                "event": "media",
                "sequenceNumber": "4",
                "media": {"track": "inbound", "chunk": "2", "timestamp": "5", "payload": PAYLOAD},
                "streamSid": "MZ1",
            }
        )
    )
    assert media == MediaChunk(payload=b"\xff" * 160, sequence=2)
    assert wire.parse(
        '{"event":"dtmf","streamSid":"MZ1","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"1"}}'
    ) == DtmfReceived(digit="1")
    assert wire.parse('{"event":"mark","sequenceNumber":"4","streamSid":"MZ1","mark":{"name":"utt-7"}}') == (
        MarkPlayed(name="utt-7")
    )
    stop = (
        '{"event":"stop","sequenceNumber":"5","stop":{"accountSid":"AC1","callSid":"CA1"},"streamSid":"MZ1"}'
    )
    assert wire.parse(stop) == StreamStopped()


def test_twilio_outbound_messages_are_exactly_media_mark_and_clear() -> None:
    wire = TwilioSerializer()
    with pytest.raises(RuntimeError, match="streamSid"):
        wire.clear()
    wire.stream_sid = "MZ1"
    assert json.loads(wire.media(b"\xff\xff")) == {
        "event": "media",
        "streamSid": "MZ1",
        "media": {"payload": base64.b64encode(b"\xff\xff").decode()},
    }
    assert json.loads(wire.mark("utt-7")) == {"event": "mark", "streamSid": "MZ1", "mark": {"name": "utt-7"}}
    assert json.loads(wire.clear()) == {"event": "clear", "streamSid": "MZ1"}
    assert wire.dtmf("1") is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"foo":1}', "no 'event'"),
        ('{"event":"dance"}', "unknown event 'dance'"),
        ('{"event":"media","media":{"payload":"@@@"}}', "not base64"),
        ('{"event":"start","start":{"streamSid":"MZ"}}', "start.*callSid"),
        ('{"event":"dtmf","dtmf":{"digit":"x"}}', "not a DTMF digit"),
    ],
)
def test_bad_twilio_messages_raise_a_clear_error(text: str, problem: str) -> None:
    with pytest.raises(TelephonyMessageError, match=problem):
        TwilioSerializer().parse(text)


def test_plivo_messages_parse_and_format() -> None:
    wire = PlivoSerializer()
    start = wire.parse(
        json.dumps(
            {
                "event": "start",
                "sequenceNumber": 1,
                "start": {
                    "callId": "c-1",
                    "streamId": "s-1",
                    "accountId": "MA1",
                    "tracks": ["inbound"],
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000},
                },
                "extra_headers": "from=+14155550100,plan=gold",
            }
        )
    )
    assert isinstance(start, StreamStarted)
    assert (start.call_id, start.stream_id, start.caller) == ("c-1", "s-1", "+14155550100")
    assert start.custom_parameters == {"from": "+14155550100", "plan": "gold"}
    media = {"track": "inbound", "timestamp": "1705312200000", "chunk": 41, "payload": PAYLOAD}
    assert wire.parse(
        json.dumps({"event": "media", "sequenceNumber": 42, "streamId": "s-1", "media": media})
    ) == (MediaChunk(payload=b"\xff" * 160, sequence=41))
    dtmf = {
        "event": "dtmf",
        "sequenceNumber": 50,
        "streamId": "s-1",
        "dtmf": {"track": "inbound", "digit": "5"},
    }
    assert wire.parse(json.dumps(dtmf)) == DtmfReceived(digit="5")
    assert wire.parse('{"event":"playedStream","sequenceNumber":75,"streamId":"s-1","name":"utt-7"}') == (
        MarkPlayed(name="utt-7")
    )
    assert wire.parse('{"event":"clearedAudio","sequenceNumber":80,"streamId":"s-1"}') == AudioCleared()
    assert wire.parse('{"event":"playFailed","reason":"bad audio"}') == PlatformError(
        code="playFailed", detail="bad audio"
    )
    assert json.loads(wire.media(b"\xff")) == {
        "event": "playAudio",
        "media": {"contentType": "audio/x-mulaw", "sampleRate": 8000, "payload": "/w=="},
    }
    assert json.loads(wire.mark("utt-7")) == {"event": "checkpoint", "streamId": "s-1", "name": "utt-7"}
    assert json.loads(wire.clear()) == {"event": "clearAudio", "streamId": "s-1"}
    assert json.loads(wire.dtmf("1234#") or "") == {"event": "sendDTMF", "dtmf": "1234#"}


def test_telnyx_messages_parse_and_format() -> None:
    wire = TelnyxSerializer()
    assert wire.parse('{"event":"connected","version":"1.0.0"}') == StreamConnected()
    start = {
        "event": "start",
        "sequence_number": "1",
        "stream_id": "32DE",
        "start": {
            "user_id": "u",
            "call_control_id": "v3:abc",
            "call_session_id": "cs",
            "from": "+14155550100",
            "to": "+18005551212",
            "client_state": "x",
            "custom_parameters": {"plan": "gold"},
            "media_format": {"encoding": "PCMA", "sample_rate": 8000, "channels": 1},
        },
    }
    started = wire.parse(json.dumps(start))
    assert isinstance(started, StreamStarted)
    assert (started.call_id, started.stream_id, started.encoding) == ("v3:abc", "32DE", "alaw")
    assert (started.caller, started.callee, started.custom_parameters) == (
        "+14155550100",
        "+18005551212",
        {"plan": "gold"},
    )
    media = {"track": "inbound", "chunk": "2", "timestamp": "5", "payload": PAYLOAD}
    assert wire.parse(
        json.dumps({"event": "media", "sequence_number": "4", "media": media, "stream_id": "32DE"})
    ) == (MediaChunk(payload=b"\xff" * 160, sequence=2))
    dtmf = {
        "event": "dtmf",
        "stream_id": "32DE",
        "occurred_at": "2025-06-05T08:54:19Z",
        "sequence_number": "5",
        "dtmf": {"digit": "1"},
    }
    assert wire.parse(json.dumps(dtmf)) == DtmfReceived(digit="1")
    assert wire.parse('{"event":"mark","stream_id":"32DE","mark":{"name":"utt-7"}}') == MarkPlayed(
        name="utt-7"
    )
    assert isinstance(
        wire.parse('{"event":"stop","sequence_number":"5","stop":{},"stream_id":"32DE"}'), StreamStopped
    )
    error = wire.parse('{"event":"error","payload":{"code":100003,"title":"malformed_frame","detail":"x"}}')
    assert error == PlatformError(code="100003", detail="malformed_frame: x")
    assert json.loads(wire.media(b"\xff")) == {"event": "media", "media": {"payload": "/w=="}}
    assert json.loads(wire.mark("utt-7")) == {"event": "mark", "mark": {"name": "utt-7"}}
    assert json.loads(wire.clear()) == {"event": "clear"}


def test_answer_documents_point_at_the_stream_route_with_parameters() -> None:
    twiml = twiml_answer("wss://example.com/twilio/stream", {"from": "+14155550100"})
    assert twiml == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://example.com/twilio/stream">'
        '<Parameter name="from" value="+14155550100" /></Stream></Connect></Response>'
    )
    plivo = plivo_answer("wss://example.com/plivo/stream", {"from": "+14155550100"})
    assert 'bidirectional="true"' in plivo and 'keepCallAlive="true"' in plivo
    assert 'contentType="audio/x-mulaw;rate=8000"' in plivo and 'extraHeaders="from=+14155550100"' in plivo
    assert ">wss://example.com/plivo/stream</Stream>" in plivo
    texml = texml_answer("wss://example.com/telnyx/stream", {"from": "+1"})
    assert 'bidirectionalMode="rtp"' in texml and 'bidirectionalCodec="PCMU"' in texml
    assert '<Parameter name="from" value="+1"/>' in texml
    with pytest.raises(ValueError, match="wss://"):
        twiml_answer("https://example.com/x")
    with pytest.raises(ValueError, match="extraHeaders"):
        plivo_answer("wss://h/p", {"a": "b;c"})


def test_twilio_signature_test_vector_from_the_sdk() -> None:
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
        "Caller": "+14158675309",
    }
    assert valid_twilio_signature("12345", url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not valid_twilio_signature("12345", url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8X")
    assert not valid_twilio_signature("12345", url, {**params, "Digits": "9"}, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not valid_twilio_signature("12345", url, params, None)


def test_plivo_v3_signature() -> None:
    from plivo.utils.signature_v3 import construct_post_url, get_signature_v3

    url, params, nonce = "https://example.com/plivo", {"CallUUID": "c-1", "From": "+1"}, "12345678"
    base = construct_post_url(url, params).decode()
    good = get_signature_v3(b"token", base, nonce.encode()).decode()
    assert valid_plivo_signature("token", "POST", url, params, nonce, f"zzz,{good}")
    assert not valid_plivo_signature("other", "POST", url, params, nonce, good)
    assert not valid_plivo_signature("token", "POST", url, params, "87654321", good)
    assert not valid_plivo_signature("token", "POST", url, params, None, good)


def test_telnyx_ed25519_signature() -> None:
    key = SigningKey.generate()
    public = base64.b64encode(bytes(key.verify_key)).decode()
    body = b'{"data":{"event_type":"call.initiated","payload":{"call_control_id":"v3:1"}}}'
    stamp = str(int(time.time()))
    signature = base64.b64encode(key.sign(f"{stamp}|".encode() + body).signature).decode()
    headers = {"telnyx-signature-ed25519": signature, "telnyx-timestamp": stamp}
    assert valid_telnyx_signature(public, body, headers)
    assert not valid_telnyx_signature(public, body + b" ", headers)
    old = {**headers, "telnyx-timestamp": str(int(time.time()) - 3600)}
    assert not valid_telnyx_signature(public, body, old)
    assert not valid_telnyx_signature("", body, headers)


def test_phone_audio_round_trip_keeps_media_time_and_rate() -> None:
    import numpy as np

    tone = (np.sin(2 * np.pi * 440 * np.arange(160) / 8000) * 8000).astype(np.int16)
    incoming = PhoneAudioIn("mulaw")
    first, second = incoming.decode(ulaw_encode(tone)), incoming.decode(ulaw_encode(tone))
    assert (first.sample_rate, first.timestamp, second.timestamp) == (8000, 0.0, 0.02)
    assert np.max(np.abs(first.to_int16().astype(int) - tone)) < 300
    out = PhoneAudioOut(16000)
    from pipeline.base.audio import AudioFrame

    payloads = [out.encode(AudioFrame.silence(0.02, 16000)) for _ in range(10)]
    assert sum(len(p) for p in payloads) == 1600  # nothing held back in the filter
    with pytest.raises(TelephonyMessageError, match="8000 Hz"):
        PhoneAudioIn("mulaw", 16000)


def test_edge_resampler_passes_speech_band_and_removes_aliases() -> None:
    import numpy as np

    from pipeline.transports.telephony.edge_resample import Decimator, Interpolator

    def level(freq: float, rate: int, factor: int, up: bool) -> float:
        t = np.arange(rate) / rate
        x = (np.sin(2 * np.pi * freq * t) * 10000).astype(np.int16)
        stage = Interpolator(factor) if up else Decimator(factor)
        y = np.concatenate([stage.process(chunk) for chunk in np.split(x, 50)]).astype(float)
        return float(np.sqrt(np.mean(y[len(y) // 4 :] ** 2)) / (10000 / np.sqrt(2)))

    assert 0.95 < level(1000, 16000, 2, up=False) < 1.05
    assert level(6000, 16000, 2, up=False) < 0.01  # would alias to 2 kHz
    assert 0.95 < level(1000, 8000, 2, up=True) < 1.05
