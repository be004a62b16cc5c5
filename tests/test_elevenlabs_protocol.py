"""ElevenLabs wire details without a socket: server frames, alignment, segment counting, error mapping, options."""

from __future__ import annotations

import base64
import json

import pytest
from pydantic import ValidationError

from providers.elevenlabs.alignment import request_alignment
from providers.elevenlabs.errors import ErrorScope, close_error, server_message_error, status_error
from providers.elevenlabs.options import ElevenLabsHttpOptions, ElevenLabsWebsocketOptions
from providers.elevenlabs.protocol import (
    AudioMessage,
    ErrorMessage,
    FinalMessage,
    MalformedMessage,
    parse_server_message,
)
from providers.elevenlabs.segments import SegmentTracker
from providers.errors import ErrorCode

SECRET = "xi-secret-key-0123456789"
SCOPE = ErrorScope("elevenlabs", SECRET)
PCM = b"\x01\x00\x02\x00"


def frame(**fields: object) -> str:
    return json.dumps(fields)


def alignment(chars: str, duration_key: str = "charsDurationsMs") -> dict[str, object]:
    return {
        "chars": list(chars),
        "charStartTimesMs": [i * 50 for i in range(len(chars))],
        duration_key: [50] * len(chars),
    }


@pytest.mark.parametrize("duration_key", ["charsDurationsMs", "charDurationsMs"])
def test_audio_with_alignment_in_either_spelling(duration_key: str) -> None:
    (event,) = parse_server_message(
        frame(audio=base64.b64encode(PCM).decode(), alignment=alignment("Hi ", duration_key), contextId="c1")
    )
    assert isinstance(event, AudioMessage)
    assert (event.context_id, event.pcm, event.spoken) == ("c1", PCM, 2)
    assert event.alignment is not None
    assert event.alignment.chars == ("H", "i", " ")
    assert event.alignment.starts == (0.0, 0.05, 0.1) and event.alignment.ends == (0.05, 0.1, 0.15)


def test_original_alignment_is_preferred_and_normalized_alone_cannot_be_counted() -> None:
    audio = base64.b64encode(PCM).decode()
    (both,) = parse_server_message(
        frame(audio=audio, alignment=alignment("$5 "), normalizedAlignment=alignment("five dollars "))
    )
    assert isinstance(both, AudioMessage) and both.alignment is not None
    assert "".join(both.alignment.chars) == "$5 " and both.spoken == 2
    (normalized,) = parse_server_message(
        frame(audio=audio, alignment=None, normalizedAlignment=alignment("five "))
    )
    assert isinstance(normalized, AudioMessage) and normalized.spoken is None
    assert normalized.alignment is not None and "".join(normalized.alignment.chars) == "five "


def test_final_error_and_unknown_frames() -> None:
    assert parse_server_message(frame(isFinal=True, contextId="c2")) == [FinalMessage("c2")]
    assert parse_server_message(frame(message="Too slow", error="input_timeout_exceeded", code=1008)) == [
        ErrorMessage("input_timeout_exceeded", "Too slow")
    ]
    assert parse_server_message(frame(unexpected="field")) == []
    assert parse_server_message(b"\x00binary") == []


@pytest.mark.parametrize(
    "data",
    [
        '{"audio": "AAAA", "normalizedAlignment": ',
        "[1, 2]",
        frame(audio="not base64!"),
        frame(audio=base64.b64encode(PCM).decode(), alignment={"chars": ["a"], "charStartTimesMs": []}),
        frame(audio=base64.b64encode(PCM).decode(), contextId=7),
    ],
)
def test_malformed_frames_are_rejected(data: str) -> None:
    with pytest.raises(MalformedMessage):
        parse_server_message(data)


def test_http_timestamps_are_moved_to_the_chunk_start() -> None:
    moved = request_alignment(["a", "b"], [1.0, 1.1], [1.1, 1.25], offset=1.0)
    assert moved is not None
    assert moved.starts == pytest.approx((0.0, 0.1)) and moved.ends == pytest.approx((0.1, 0.25))


def test_segments_end_when_their_characters_have_been_spoken() -> None:
    tracker = SegmentTracker()
    tracker.pushed("Hi there.")  # 8 non-space characters
    tracker.pushed("Bye.")  # 4
    assert tracker.on_audio(5) == []
    assert tracker.on_audio(5) == ["Hi there."]  # this chunk spans both sentences
    assert not tracker.all_spoken
    assert tracker.on_audio(2) == ["Bye."]
    assert tracker.all_spoken and tracker.reliable


def test_segment_counting_gives_up_when_it_cannot_be_trusted() -> None:
    tracker = SegmentTracker()
    tracker.pushed("One.")
    assert tracker.on_audio(9) == ["One."]
    assert not tracker.reliable  # more characters than were sent
    tracker.pushed("Two.")
    assert tracker.on_audio(4) == []
    assert tracker.finish() == ["Two."]
    unknown = SegmentTracker()
    unknown.pushed("Three.")
    assert unknown.on_audio(None) == [] and not unknown.reliable


@pytest.mark.parametrize(
    ("status", "body", "code", "recoverable"),
    [
        (
            401,
            {"detail": {"status": "invalid_api_key", "message": f"Invalid key {SECRET}"}},
            "auth_failed",
            False,
        ),
        (401, {"detail": {"status": "quota_exceeded", "message": "No credits"}}, "rate_limited", False),
        (
            429,
            {"detail": {"status": "too_many_concurrent_requests", "message": "Slow down"}},
            "rate_limited",
            True,
        ),
        (500, "oops", "server_error", True),
        (404, {"detail": "voice not found"}, "bad_request", False),
        (400, {"detail": {"message": "text too long"}}, "bad_request", True),
    ],
)
def test_status_errors(status: int, body: object, code: str, recoverable: bool) -> None:
    error = status_error(SCOPE, status, body)
    assert (error.code.value, error.recoverable, error.status) == (code, recoverable, status)
    assert SECRET not in str(error)


def test_socket_closes_and_in_band_errors() -> None:
    auth = close_error(SCOPE, 1008, "Invalid API key")
    assert (auth.code, auth.recoverable) == (ErrorCode.AUTH_FAILED, False)
    assert "ELEVENLABS_API_KEY" in auth.message
    assert close_error(SCOPE, 1008, "Unsupported voice settings").code is ErrorCode.BAD_REQUEST
    assert close_error(SCOPE, 1011, "boom").code is ErrorCode.SERVER_ERROR
    assert close_error(SCOPE, 1006, "").code is ErrorCode.CONNECTION_LOST
    assert server_message_error(SCOPE, "input_timeout_exceeded", "late").code is ErrorCode.TIMEOUT
    assert server_message_error(SCOPE, "max_active_conversations", "5").code is ErrorCode.RATE_LIMITED
    assert server_message_error(SCOPE, "invalid_input_message", "bad").code is ErrorCode.BAD_REQUEST
    assert server_message_error(SCOPE, "internal_server_error", "x").code is ErrorCode.SERVER_ERROR


def test_websocket_url_follows_the_http_one_unless_given() -> None:
    secure = ElevenLabsWebsocketOptions(api_key=SECRET, base_url="https://api.eu.residency.elevenlabs.io/")
    assert secure.resolved_ws_url == "wss://api.eu.residency.elevenlabs.io"
    local = ElevenLabsWebsocketOptions(api_key=SECRET, base_url="http://127.0.0.1:8080")
    assert local.resolved_ws_url == "ws://127.0.0.1:8080"
    given = ElevenLabsWebsocketOptions(api_key=SECRET, ws_url="ws://elsewhere:9")
    assert given.resolved_ws_url == "ws://elsewhere:9"
    assert (local.resolved_keepalive_interval, local.resolved_idle_close) == (10.0, 18.0)


@pytest.mark.parametrize(
    "options",
    [
        {"chunk_length_schedule": [10]},
        {"output_format": "mp3_44100_128"},
        {"ws_url": "http://x"},
        {"base_url": "api.elevenlabs.io"},
        {"voice_settings": {"speed": 2.0}},
        {"unknown": 1},
    ],
)
def test_bad_options_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ElevenLabsWebsocketOptions.model_validate({"api_key": SECRET, **options})


def test_a_missing_key_is_reported_with_the_variable() -> None:
    with pytest.raises(ValidationError) as missing:
        ElevenLabsHttpOptions.model_validate({}, context={"environ": {}})
    assert missing.value.errors()[0]["loc"] == ("api_key",)
