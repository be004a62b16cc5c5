"""Builds each platform's SDK client and call control for a call, from the telephony settings."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from pipeline.session.phone import CallControl
from pipeline.transports.telephony.messages import StreamStarted
from pipeline.transports.telephony.settings import TelephonySettings, reveal


def twilio_control(
    settings: TelephonySettings, base_url: str
) -> Callable[[StreamStarted], CallControl | None]:
    def make(started: StreamStarted) -> CallControl | None:
        if not (settings.twilio_account_sid and settings.twilio_auth_token):
            return None
        from twilio.rest import Client

        from pipeline.transports.telephony.control import TwilioCallControl

        client = Client(settings.twilio_account_sid, reveal(settings.twilio_auth_token))
        if settings.twilio_api_base:
            client.api.base_url = settings.twilio_api_base
        return TwilioCallControl(
            client,
            started.call_id,
            whisper_url=lambda query: f"{base_url}/twilio/whisper?{urlencode(query)}",
            dial_next_url=lambda query: f"{base_url}/twilio/dial-next?{urlencode(query)}",
        )

    return make


def plivo_control(
    settings: TelephonySettings, base_url: str
) -> Callable[[StreamStarted], CallControl | None]:
    def make(started: StreamStarted) -> CallControl | None:
        if not (settings.plivo_auth_id and settings.plivo_auth_token):
            return None
        import plivo

        from pipeline.transports.telephony.control import PlivoCallControl

        client = plivo.RestClient(settings.plivo_auth_id, reveal(settings.plivo_auth_token))
        return PlivoCallControl(
            client,
            started.call_id,
            dial_xml_url=lambda query: f"{base_url}/plivo/transfer?{urlencode(query)}",
        )

    return make


def telnyx_control(settings: TelephonySettings) -> Callable[[StreamStarted], CallControl | None]:
    def make(started: StreamStarted) -> CallControl | None:
        if settings.telnyx_api_key is None:
            return None
        import telnyx

        from pipeline.transports.telephony.control import TelnyxCallControl

        client = telnyx.Telnyx(api_key=reveal(settings.telnyx_api_key), base_url=settings.telnyx_api_base)
        return TelnyxCallControl(client, started.call_id)

    return make
