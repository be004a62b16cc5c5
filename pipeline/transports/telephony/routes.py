"""The telephony routes a server mounts: the answer webhooks (``POST /twilio``, ``/plivo``, ``/telnyx``), their
stream WebSockets (``/twilio/stream`` ...), and the documents fetched during a call (Twilio whisper, Plivo
transfer Dial XML, Twilio async AMD callback). Every webhook and stream upgrade is signature-checked where the
platform signs it; a bad or missing signature gets 403 (HTTP) or close code 1008 (WebSocket).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from pipeline.session.phone import HuntMode
from pipeline.session.pipeline import Pipeline
from pipeline.session.session import Session
from pipeline.transports.telephony.call import ControlFactory, PhoneCall, PhoneCallReport, PhoneSocketClosed
from pipeline.transports.telephony.clients import plivo_control, telnyx_control, twilio_control
from pipeline.transports.telephony.control import next_dial_twiml, plivo_dial_xml, plivo_hangup_xml
from pipeline.transports.telephony.messages import MediaStreamSerializer, StreamStarted
from pipeline.transports.telephony.plivo import PlivoSerializer, plivo_answer, valid_plivo_signature
from pipeline.transports.telephony.settings import TelephonySettings, reveal
from pipeline.transports.telephony.telnyx import TelnyxSerializer, texml_answer, valid_telnyx_signature
from pipeline.transports.telephony.twilio import TwilioSerializer, twiml_answer, valid_twilio_signature

_log = logging.getLogger(__name__)
POLICY_VIOLATION = 1008  # WebSocket close code for a failed signature check
XML = "application/xml"


async def form_params(request: Request) -> dict[str, str]:
    """The webhook's form fields (``application/x-www-form-urlencoded``, as all three platforms post them)."""
    if request.method != "POST":
        return {}
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


class StarletteSocket:
    """A Starlette WebSocket as a PhoneSocket (text frames; a disconnect becomes PhoneSocketClosed)."""

    def __init__(self, websocket: WebSocket) -> None:
        self._ws = websocket

    async def receive(self) -> str | bytes:
        message = await self._ws.receive()
        if message["type"] == "websocket.disconnect":
            raise PhoneSocketClosed
        text = message.get("text")
        return text if text is not None else bytes(message.get("bytes") or b"")

    async def send(self, text: str) -> None:
        try:
            await self._ws.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            raise PhoneSocketClosed from None


class LiveCalls:
    """The sessions of calls in progress, by platform call id (for callbacks such as Twilio's async AMD)."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}

    def add(self, call_id: str, session: Session) -> None:
        self._sessions[call_id] = session

    def remove(self, call_id: str) -> None:
        self._sessions.pop(call_id, None)

    def get(self, call_id: str) -> Session | None:
        return self._sessions.get(call_id)

    def __len__(self) -> int:
        return len(self._sessions)


OnSession = Callable[[Session, StreamStarted], None]


@dataclass(frozen=True)
class Admission:
    """The server's answer to a new stream: admitted (then ``release`` when it ends) or refused with a close
    code and reason (the session limit, draining)."""

    admitted: bool
    release: Callable[[], None] = lambda: None
    close_code: int = 1013  # try again later
    reason: str = ""


StopCall = Callable[[], None]
Admit = Callable[[StopCall], Admission]  # given how to stop the call


class TelephonyRoutes:
    """Builds the routes; ``pipeline`` opens one session per call. ``on_session`` sees each new session
    (e.g. to apply call metadata); ``admit`` may refuse a stream (the server's session limit, draining)."""

    def __init__(
        self,
        pipeline: Pipeline,
        settings: TelephonySettings,
        *,
        on_session: OnSession | None = None,
        admit: Admit | None = None,
        on_call_ended: Callable[[PhoneCallReport], None] | None = None,
        pipeline_for_call: Callable[[StreamStarted], Pipeline] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.settings = settings
        self.calls = LiveCalls()
        self._on_session = on_session
        self._admit = admit
        self._on_call_ended = on_call_ended
        self._pipeline_for_call = pipeline_for_call  # e.g. a benchmark's per-call probe

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/twilio", self.twilio_answer, methods=["POST"]),
            Route("/twilio/whisper", self.twilio_whisper, methods=["GET", "POST"]),
            Route("/twilio/amd", self.twilio_amd, methods=["POST"]),
            Route("/twilio/dial-next", self.twilio_dial_next, methods=["POST"]),
            WebSocketRoute("/twilio/stream", self.twilio_stream),
            Route("/plivo", self.plivo_answer, methods=["POST"]),
            Route("/plivo/transfer", self.plivo_transfer, methods=["GET", "POST"]),
            WebSocketRoute("/plivo/stream", self.plivo_stream),
            Route("/telnyx", self.telnyx_answer, methods=["POST"]),
            WebSocketRoute("/telnyx/stream", self.telnyx_stream),
        ]

    # --- addresses ------------------------------------------------------------------------------------------

    def base_url(self, request: Request | WebSocket) -> str:
        """``https://host`` as the platform reaches us: ``--public-url`` behind a proxy, else the request's host."""
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        scheme = {"ws": "http", "wss": "https"}.get(request.url.scheme, request.url.scheme)
        if request.headers.get("x-forwarded-proto") == "https":  # TLS ended at a proxy in front of us
            scheme = "https"
        return f"{scheme}://{request.url.netloc}"

    def stream_url(self, request: Request, path: str) -> str:
        """The stream route's WebSocket URL: ``wss://`` behind https (what platforms require), else ``ws://``."""
        scheme, host = self.base_url(request).split("://", 1)
        return f"{'wss' if scheme == 'https' else 'ws'}://{host}{path}"

    def signed_url(self, request: Request | WebSocket) -> str:
        """The URL the platform signed: our public address plus the path and query it requested."""
        query = f"?{request.url.query}" if request.url.query else ""
        return self.base_url(request) + request.url.path + query

    # --- Twilio ---------------------------------------------------------------------------------------------

    def _twilio_ok(self, url: str, params: dict[str, str], signature: str | None) -> bool:
        if self.settings.allow_unsigned:
            return True
        return valid_twilio_signature(reveal(self.settings.twilio_auth_token), url, params, signature)

    async def twilio_answer(self, request: Request) -> Response:
        params = await form_params(request)
        if not self._twilio_ok(self.signed_url(request), params, request.headers.get("x-twilio-signature")):
            return PlainTextResponse("bad or missing X-Twilio-Signature", status_code=403)
        parameters = {name: params[key] for key, name in (("From", "from"), ("To", "to")) if key in params}
        return Response(twiml_answer(self.stream_url(request, "/twilio/stream"), parameters), media_type=XML)

    async def twilio_whisper(self, request: Request) -> Response:
        params = await form_params(request) if request.method == "POST" else {}
        if not self._twilio_ok(self.signed_url(request), params, request.headers.get("x-twilio-signature")):
            return PlainTextResponse("bad or missing X-Twilio-Signature", status_code=403)
        text = escape(request.query_params.get("text", ""))
        return Response(
            f'<?xml version="1.0" encoding="UTF-8"?><Response><Say>{text}</Say></Response>', media_type=XML
        )

    async def twilio_dial_next(self, request: Request) -> Response:
        """A sequential hunt's Dial ``action``: the next number, or hang up once someone answered."""
        params = await form_params(request)
        if not self._twilio_ok(self.signed_url(request), params, request.headers.get("x-twilio-signature")):
            return PlainTextResponse("bad or missing X-Twilio-Signature", status_code=403)
        query = request.query_params
        rest = [number for number in query.get("to", "").split(",") if number]
        base = self.base_url(request)
        twiml = next_dial_twiml(
            params.get("DialCallStatus", ""),
            rest,
            int(query.get("ring", "20")),
            lambda q: f"{base}/twilio/dial-next?{urlencode(q)}",
        )
        return Response(twiml, media_type=XML)

    async def twilio_amd(self, request: Request) -> Response:
        params = await form_params(request)
        if not self._twilio_ok(self.signed_url(request), params, request.headers.get("x-twilio-signature")):
            return PlainTextResponse("bad or missing X-Twilio-Signature", status_code=403)
        session = self.calls.get(params.get("CallSid", ""))
        if session is not None and params.get("AnsweredBy"):
            session.phone.platform_amd(params["AnsweredBy"])
        return PlainTextResponse("ok")

    async def twilio_stream(self, websocket: WebSocket) -> None:
        url = self.signed_url(websocket)
        wss = "wss://" + url.split("://", 1)[1]
        if not self._twilio_ok(wss, {}, websocket.headers.get("x-twilio-signature")):
            await websocket.close(POLICY_VIOLATION, "bad or missing X-Twilio-Signature")
            return
        base = self.base_url(websocket)
        await self._stream(websocket, TwilioSerializer(), twilio_control(self.settings, base))

    # --- Plivo ----------------------------------------------------------------------------------------------

    def _plivo_ok(self, method: str, url: str, params: dict[str, str], headers: dict[str, str]) -> bool:
        if self.settings.allow_unsigned:
            return True
        return valid_plivo_signature(
            reveal(self.settings.plivo_auth_token),
            method,
            url,
            params,
            headers.get("x-plivo-signature-v3-nonce"),
            headers.get("x-plivo-signature-v3"),
        )

    async def plivo_answer(self, request: Request) -> Response:
        params = await form_params(request)
        if not self._plivo_ok("POST", self.signed_url(request), params, dict(request.headers)):
            return PlainTextResponse("bad or missing X-Plivo-Signature-V3", status_code=403)
        parameters = {name: params[key] for key, name in (("From", "from"), ("To", "to")) if key in params}
        return Response(plivo_answer(self.stream_url(request, "/plivo/stream"), parameters), media_type=XML)

    async def plivo_transfer(self, request: Request) -> Response:
        """The Dial XML a Plivo transfer fetches; also the sequential hunt's Dial ``action`` (``DialStatus``)."""
        params = await form_params(request)
        if not self._plivo_ok(request.method, self.signed_url(request), params, dict(request.headers)):
            return PlainTextResponse("bad or missing X-Plivo-Signature-V3", status_code=403)
        query = request.query_params
        targets = [target for target in query.get("to", "").split(",") if target]
        if params.get("DialStatus") == "completed" or (not targets and "DialStatus" in params):
            return Response(plivo_hangup_xml(), media_type=XML)
        if not targets:
            return PlainTextResponse("no number to dial", status_code=400)
        hunt = HuntMode(query.get("hunt", "sequential"))
        base = self.base_url(request)
        xml = plivo_dial_xml(
            targets,
            hunt,
            int(query.get("ring", "20")),
            lambda q: f"{base}/plivo/transfer?{urlencode({**q, 'hunt': 'sequential'})}",
        )
        return Response(xml, media_type=XML)

    async def plivo_stream(self, websocket: WebSocket) -> None:
        if not self._plivo_ok("GET", self.signed_url(websocket), {}, dict(websocket.headers)):
            await websocket.close(POLICY_VIOLATION, "bad or missing X-Plivo-Signature-V3")
            return
        await self._stream(
            websocket, PlivoSerializer(), plivo_control(self.settings, self.base_url(websocket))
        )

    # --- Telnyx ---------------------------------------------------------------------------------------------

    async def telnyx_answer(self, request: Request) -> Response:
        body = await request.body()
        if not self.settings.allow_unsigned and not valid_telnyx_signature(
            self.settings.telnyx_public_key or "", body, dict(request.headers)
        ):
            return PlainTextResponse("bad or missing telnyx-signature-ed25519", status_code=403)
        return Response(texml_answer(self.stream_url(request, "/telnyx/stream")), media_type=XML)

    async def telnyx_stream(self, websocket: WebSocket) -> None:
        # Telnyx does not sign the stream upgrade; its optional stream_auth_token would arrive as a header.
        await self._stream(websocket, TelnyxSerializer(), telnyx_control(self.settings))

    def apply_phone_options(self, session: Session) -> list[str]:
        """The settings' phone-agent options: transfer and IVR tools for the LLM, keypad digit collection.
        Returns the names of the tools added."""
        options = self.settings
        tools = session.phone.tools(human_numbers=options.transfer_to, hunt=options.transfer_hunt)
        chosen = [tool for tool in tools if options.ivr_tool or tool.name != "press_digits"]
        session.add_tools(chosen)
        if options.collect_digits:
            session.collect_digits()
        return [tool.name for tool in chosen]

    # --- the call -------------------------------------------------------------------------------------------

    async def _stream(
        self, websocket: WebSocket, wire: MediaStreamSerializer, control: ControlFactory
    ) -> None:
        calls: list[PhoneCall] = []

        def stop() -> None:
            for call in calls:
                call.stop()

        admission = self._admit(stop) if self._admit is not None else Admission(True)
        await websocket.accept()
        if not admission.admitted:
            await websocket.close(admission.close_code, admission.reason)
            return
        try:
            await self._run_call(websocket, wire, control, calls)
        finally:
            admission.release()

    async def _run_call(
        self,
        websocket: WebSocket,
        wire: MediaStreamSerializer,
        control: ControlFactory,
        calls: list[PhoneCall],
    ) -> None:
        started_ids: list[str] = []

        def on_session(session: Session, started: StreamStarted) -> None:
            self.calls.add(started.call_id, session)
            started_ids.append(started.call_id)
            self.apply_phone_options(session)
            if self._on_session is not None:
                self._on_session(session, started)

        call = PhoneCall(
            self.pipeline,
            wire,
            StarletteSocket(websocket),
            control=control,
            on_session=on_session,
            pipeline_for_call=self._pipeline_for_call,
        )
        calls.append(call)
        try:
            report = await call.run()
            _log.info("%s call %s ended: %s", wire.platform, report.session_id, report.end_reason)
            if self._on_call_ended is not None:
                self._on_call_ended(report)
        finally:
            for call_id in started_ids:
                self.calls.remove(call_id)
        with contextlib.suppress(
            RuntimeError, OSError, WebSocketDisconnect
        ):  # already closed by the platform
            await websocket.close()
