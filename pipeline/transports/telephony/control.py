"""Call control through each platform's official Python SDK: hang up, transfer (hunt lists), send DTMF.

The SDK clients are synchronous (Twilio, Plivo) or used synchronously (Telnyx), so every request runs in a worker
thread. Each client can be pointed at any base URL (tests use loopback fakes; see ``../shared/TELEPHONY.md``).
A call that has already ended is not an error for a hang-up (Twilio 404/20404, Plivo 404, Telnyx 422/90018).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import anyio
import plivo
import telnyx
from plivo.exceptions import PlivoRestError, ResourceNotFoundError
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client as TwilioClient
from twilio.twiml.voice_response import Dial, VoiceResponse

from pipeline.session.phone import CallControlError, HuntMode

#: builds the URL of a document the platform fetches during a transfer (whisper TwiML, Plivo Dial XML)
UrlFor = Callable[[dict[str, str]], str]


async def _in_thread(function: Callable[[], Any]) -> Any:
    return await anyio.to_thread.run_sync(function)


def transfer_twiml(
    targets: Sequence[str],
    hunt: HuntMode,
    ring_seconds: int,
    whisper_url: str | None,
    next_url: UrlFor | None = None,
) -> str:
    """``<Dial>`` the targets. Parallel: every ``<Number>`` in one Dial rings at once. Sequential: the first
    number rings ``ring_seconds``; the Dial's ``action`` (``next_url``) then gets Twilio's ``DialCallStatus`` and
    answers with the next number only when nobody picked up (``next_dial_twiml``). Without ``next_url`` the
    numbers are successive Dial verbs (then, if the human hangs up first, Twilio would ring the next one)."""
    response = VoiceResponse()
    if hunt is HuntMode.PARALLEL or len(targets) == 1:
        dial = Dial(timeout=ring_seconds, answer_on_bridge=True)
        for number in targets:
            dial.number(number, url=whisper_url)
        response.append(dial)
    elif next_url is not None:
        first, rest = targets[0], targets[1:]
        dial = Dial(
            timeout=ring_seconds, answer_on_bridge=True, action=next_url(_next_query(rest, ring_seconds))
        )
        dial.number(first, url=whisper_url)
        response.append(dial)
        return str(response)
    else:
        for number in targets:
            dial = Dial(timeout=ring_seconds, answer_on_bridge=True)
            dial.number(number, url=whisper_url)
            response.append(dial)
    response.hangup()
    return str(response)


def _next_query(rest: Sequence[str], ring_seconds: int) -> dict[str, str]:
    return {"to": ",".join(rest), "ring": str(ring_seconds)}


ANSWERED = frozenset({"completed", "answered"})


def next_dial_twiml(dial_status: str, rest: Sequence[str], ring_seconds: int, next_url: UrlFor) -> str:
    """The sequential hunt's next step: hang up once someone answered (or nobody is left), else ring the next."""
    if dial_status in ANSWERED or not rest:
        response = VoiceResponse()
        response.hangup()
        return str(response)
    return transfer_twiml(list(rest), HuntMode.SEQUENTIAL, ring_seconds, None, next_url)


class TwilioCallControl:
    """A Twilio call: ``calls(sid).update(...)`` with TwiML for transfer and ``status=completed`` to hang up."""

    platform = "twilio"

    def __init__(
        self,
        client: TwilioClient,
        call_sid: str,
        *,
        whisper_url: UrlFor | None = None,
        dial_next_url: UrlFor | None = None,
    ) -> None:
        self._client = client
        self.call_sid = call_sid
        self._whisper_url = whisper_url
        self._dial_next_url = dial_next_url

    async def hang_up(self) -> bool:
        try:
            await _in_thread(partial(self._client.calls(self.call_sid).update, status="completed"))
        except TwilioRestException as exc:
            if exc.status == 404:
                return False
            raise CallControlError(f"twilio hang-up failed: HTTP {exc.status} {exc.msg}") from None
        return True

    async def transfer(
        self, targets: Sequence[str], *, hunt: HuntMode, whisper: str | None, ring_seconds: int
    ) -> None:
        whisper_url = self._whisper_url({"text": whisper}) if whisper and self._whisper_url else None
        twiml = transfer_twiml(targets, hunt, ring_seconds, whisper_url, self._dial_next_url)
        try:
            await _in_thread(partial(self._client.calls(self.call_sid).update, twiml=twiml))
        except TwilioRestException as exc:
            raise CallControlError(f"twilio transfer failed: HTTP {exc.status} {exc.msg}") from None

    async def send_dtmf(self, digits: str) -> bool:
        """Twilio's REST ``<Play digits>`` would replace the stream: tones in the audio instead."""
        return False


class PlivoCallControl:
    """A Plivo call: ``calls.hangup``, ``calls.transfer`` (to a Dial XML we serve) and ``calls.send_digits``."""

    platform = "plivo"

    def __init__(
        self, client: plivo.RestClient, call_uuid: str, *, dial_xml_url: UrlFor | None = None
    ) -> None:
        self._client = client
        self.call_uuid = call_uuid
        self._dial_xml_url = dial_xml_url

    async def hang_up(self) -> bool:
        try:
            await _in_thread(partial(self._client.calls.hangup, self.call_uuid))
        except ResourceNotFoundError:
            return False
        except PlivoRestError as exc:
            raise CallControlError(f"plivo hang-up failed: {exc}") from None
        return True

    async def transfer(
        self, targets: Sequence[str], *, hunt: HuntMode, whisper: str | None, ring_seconds: int
    ) -> None:
        if self._dial_xml_url is None:
            raise CallControlError(
                "plivo transfer needs the server's public URL (for the Dial XML it fetches)"
            )
        query = {"to": ",".join(targets), "hunt": hunt.value, "ring": str(ring_seconds)}
        url = self._dial_xml_url(query)
        try:
            await _in_thread(
                partial(
                    self._client.calls.transfer, self.call_uuid, legs="aleg", aleg_url=url, aleg_method="POST"
                )
            )
        except PlivoRestError as exc:
            raise CallControlError(f"plivo transfer failed: {exc}") from None

    async def send_dtmf(self, digits: str) -> bool:
        try:
            await _in_thread(partial(self._client.calls.send_digits, self.call_uuid, digits, leg="aleg"))
        except PlivoRestError:
            return False
        return True


def plivo_dial_xml(
    targets: Sequence[str], hunt: HuntMode, ring_seconds: int, next_url: UrlFor | None = None
) -> str:
    """The XML a Plivo transfer fetches. Parallel: one ``<Dial>`` with every number. Sequential: the first number,
    with the Dial's ``action`` (``next_url``) fetching the rest only when nobody answered (``DialStatus``);
    without ``next_url``, one Dial per number."""
    from plivo.xml import DialElement, HangupElement, NumberElement, ResponseElement

    response = ResponseElement()
    if hunt is HuntMode.SEQUENTIAL and next_url is not None and len(targets) > 1:
        dial = DialElement(
            timeout=ring_seconds, action=next_url(_next_query(targets[1:], ring_seconds)), method="POST"
        )
        dial.add(NumberElement(targets[0]))
        response.add(dial)
        text: str = response.to_string(False)
        return text
    groups = [list(targets)] if hunt is HuntMode.PARALLEL else [[target] for target in targets]
    for group in groups:
        dial = DialElement(timeout=ring_seconds)
        for number in group:
            dial.add(NumberElement(number))
        response.add(dial)
    if hunt is HuntMode.SEQUENTIAL and next_url is not None:
        response.add(HangupElement())
    text = response.to_string(False)
    return text


def plivo_hangup_xml() -> str:
    from plivo.xml import HangupElement, ResponseElement

    response = ResponseElement()
    response.add(HangupElement())
    text: str = response.to_string(False)
    return text


class TelnyxCallControl:
    """A Telnyx call: ``calls.actions.hangup / transfer / send_dtmf``. A transfer takes one number, so a hunt list
    is tried in order until the API accepts one (parallel ringing is not offered by the Call Control API)."""

    platform = "telnyx"

    def __init__(self, client: telnyx.Telnyx, call_control_id: str) -> None:
        self._client = client
        self.call_control_id = call_control_id

    async def hang_up(self) -> bool:
        try:
            await _in_thread(partial(self._client.calls.actions.hangup, self.call_control_id))
        except telnyx.APIStatusError as exc:
            if exc.status_code == 422 and "90018" in str(exc.body):
                return False
            raise CallControlError(f"telnyx hang-up failed: HTTP {exc.status_code}") from None
        return True

    async def transfer(
        self, targets: Sequence[str], *, hunt: HuntMode, whisper: str | None, ring_seconds: int
    ) -> None:
        if hunt is HuntMode.PARALLEL and len(targets) > 1:
            raise CallControlError("telnyx transfers to one number at a time: use a sequential hunt list")
        errors: list[str] = []
        for target in targets:
            try:
                await _in_thread(
                    partial(
                        self._client.calls.actions.transfer,
                        self.call_control_id,
                        to=target,
                        timeout_secs=ring_seconds,
                    )
                )
            except telnyx.APIStatusError as exc:
                errors.append(f"{target}: HTTP {exc.status_code}")
                continue
            return
        raise CallControlError("telnyx transfer failed: " + "; ".join(errors))

    async def send_dtmf(self, digits: str) -> bool:
        try:
            await _in_thread(
                partial(
                    self._client.calls.actions.send_dtmf,
                    self.call_control_id,
                    digits=digits,
                    duration_millis=250,
                )
            )
        except telnyx.APIStatusError:
            return False
        return True
