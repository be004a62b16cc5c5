"""Placing an outbound call through a platform's REST API, so that the callee's answer connects to our stream.

Twilio and Plivo fetch our answer webhook (``POST /twilio``, ``/plivo``) when the callee picks up; Telnyx Call
Control dials with the stream URL directly (it needs ``TELNYX_CONNECTION_ID``). Twilio's own AMD can be asked for
(``platform_amd``); its result comes back to ``/twilio/amd`` and is one more signal next to our audio AMD.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial

import anyio

from pipeline.transports.telephony.settings import TelephonySettings, reveal


class OutboundCallError(RuntimeError):
    """The call could not be placed (missing credentials, or the platform refused: the message says why)."""


@dataclass(frozen=True)
class PlacedCall:
    platform: str
    call_id: str


async def place_call(
    settings: TelephonySettings, platform: str, to: str, from_: str, *, platform_amd: bool = False
) -> PlacedCall:
    """Ask ``platform`` to call ``to`` from ``from_``; the answer comes back to our webhook / stream route."""
    if not settings.public_url:
        raise OutboundCallError("an outbound call needs --public-url: the platform must reach this server")
    base = settings.public_url.rstrip("/")
    if platform == "twilio":
        return await anyio.to_thread.run_sync(partial(_twilio, settings, base, to, from_, platform_amd))
    if platform == "plivo":
        return await anyio.to_thread.run_sync(partial(_plivo, settings, base, to, from_))
    if platform == "telnyx":
        return await anyio.to_thread.run_sync(partial(_telnyx, settings, base, to, from_))
    raise OutboundCallError(f"unknown platform {platform!r} (twilio, plivo or telnyx)")


def _twilio(settings: TelephonySettings, base: str, to: str, from_: str, platform_amd: bool) -> PlacedCall:
    from twilio.base.exceptions import TwilioRestException
    from twilio.rest import Client

    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        raise OutboundCallError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set to place a Twilio call")
    client = Client(settings.twilio_account_sid, reveal(settings.twilio_auth_token))
    if settings.twilio_api_base:
        client.api.base_url = settings.twilio_api_base
    amd = (
        {
            "machine_detection": "DetectMessageEnd",
            "async_amd": "true",
            "async_amd_status_callback": f"{base}/twilio/amd",
        }
        if platform_amd
        else {}
    )
    try:
        call = client.calls.create(to=to, from_=from_, url=f"{base}/twilio", method="POST", **amd)
    except TwilioRestException as exc:
        raise OutboundCallError(f"twilio refused the call: HTTP {exc.status} {exc.msg}") from None
    return PlacedCall("twilio", str(call.sid))


def _plivo(settings: TelephonySettings, base: str, to: str, from_: str) -> PlacedCall:
    import plivo
    from plivo.exceptions import PlivoRestError

    if not (settings.plivo_auth_id and settings.plivo_auth_token):
        raise OutboundCallError("PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN must be set to place a Plivo call")
    client = plivo.RestClient(settings.plivo_auth_id, reveal(settings.plivo_auth_token))
    try:
        response = client.calls.create(from_=from_, to_=to, answer_url=f"{base}/plivo", answer_method="POST")
    except PlivoRestError as exc:
        raise OutboundCallError(f"plivo refused the call: {exc}") from None
    return PlacedCall("plivo", str(getattr(response, "request_uuid", "")))


def _telnyx(settings: TelephonySettings, base: str, to: str, from_: str) -> PlacedCall:
    import telnyx

    connection_id = os.environ.get("TELNYX_CONNECTION_ID")
    if settings.telnyx_api_key is None or not connection_id:
        raise OutboundCallError("TELNYX_API_KEY and TELNYX_CONNECTION_ID must be set to place a Telnyx call")
    client = telnyx.Telnyx(api_key=reveal(settings.telnyx_api_key), base_url=settings.telnyx_api_base)
    stream_url = "wss://" + base.split("://", 1)[1] + "/telnyx/stream"
    try:
        response = client.calls.dial(
            connection_id=connection_id,
            from_=from_,
            to=to,
            stream_url=stream_url,
            stream_track="inbound_track",
            stream_bidirectional_mode="rtp",
            stream_bidirectional_codec="PCMU",
        )
    except telnyx.APIStatusError as exc:
        raise OutboundCallError(f"telnyx refused the call: HTTP {exc.status_code}") from None
    return PlacedCall("telnyx", str(response.data.call_control_id if response.data else ""))
