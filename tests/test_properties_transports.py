"""Property-based tests (hypothesis) of the transports' parsers: the telephony platforms' stream messages and
Parley's own ``/ws`` protocol. Whatever a peer sends, each parser gives a typed message or its own clear error
(the call goes on and the message is skipped or the socket closed with a reason), never a crash of another kind."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.server.protocol import ProtocolViolation, parse_control, parse_start
from pipeline.transports.telephony.messages import TelephonyMessageError
from pipeline.transports.telephony.plivo import PlivoSerializer
from pipeline.transports.telephony.telnyx import TelnyxSerializer
from pipeline.transports.telephony.twilio import TwilioSerializer

BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
pytestmark = pytest.mark.timeout(120)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
EVENTS = ["connected", "start", "media", "mark", "dtmf", "stop", "playedStream", "clearedAudio", "error", "x"]
FIELDS = ["start", "media", "mark", "dtmf", "stop", "payload", "track", "chunk", "streamSid", "callSid"]


def platform_like() -> st.SearchStrategy[dict[str, Any]]:
    """Objects shaped like the platforms' messages: a known event, then fields of any type (or missing)."""
    return st.fixed_dictionaries(
        {"event": st.sampled_from(EVENTS)},
        optional={name: json_values for name in FIELDS},
    )


def frames() -> st.SearchStrategy[str | bytes]:
    return st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200),
        json_values.map(json.dumps),
        platform_like().map(json.dumps),
    )


@pytest.mark.parametrize("serializer", [TwilioSerializer, PlivoSerializer, TelnyxSerializer])
@BOUNDED
@given(messages=st.lists(frames(), min_size=1, max_size=5))
def test_a_platform_stream_message_is_parsed_or_refused_with_its_own_error(
    serializer: type[TwilioSerializer | PlivoSerializer | TelnyxSerializer], messages: list[str | bytes]
) -> None:
    wire = serializer()  # one serializer per call: a sequence, since 'start' changes its state
    for message in messages:
        try:
            wire.parse(message)
        except TelephonyMessageError as error:
            assert str(error).startswith(f"{wire.platform}:"), error  # the error names the platform


def ws_like() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"type": st.sampled_from(["start", "say", "interrupt", "inject", "update", "end", "played", "x"])},
        optional={
            name: json_values
            for name in ["sample_rate", "encoding", "metadata", "text", "settings", "speech_id", "seconds"]
        },
    )


@BOUNDED
@given(st.one_of(st.text(max_size=200), json_values.map(json.dumps), ws_like().map(json.dumps)))
def test_a_ws_client_message_is_parsed_or_refused_with_a_protocol_violation(text: str) -> None:
    for parse in (parse_start, parse_control):
        try:
            parse(text)
        except ProtocolViolation as error:
            assert str(error)  # a reason the close frame carries
