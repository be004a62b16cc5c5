"""A loopback fake of the Twilio, Plivo and Telnyx REST APIs (the calls Parley makes): records every request
(method, path, headers, parsed body) and answers with a scripted status, so a test can check exactly what the
real vendor SDK sent and how failures are handled."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http import HttpRequest, HttpResponse, HttpServer


@dataclass(frozen=True)
class RestCall:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]  # form-encoded body (Twilio)
    json: Any  # JSON body (Plivo, Telnyx)


@dataclass
class FakeTelephonyRest:
    """``fail_with[path-prefix] = (status, body)`` scripts a failure; otherwise each platform's success reply."""

    calls: list[RestCall] = field(default_factory=list)
    fail_with: dict[str, tuple[int, Any]] = field(default_factory=dict)
    on_call: Callable[[RestCall], None] | None = None  # sees every request (e.g. to "answer" a new call)
    _server: HttpServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.port}"

    async def __aenter__(self) -> FakeTelephonyRest:
        self._server = HttpServer(self._handle)
        await self._server.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        await self._server.close()

    async def _handle(self, request: HttpRequest, response: HttpResponse) -> None:
        path = urlsplit(request.target).path
        content_type = request.headers.get("content-type", "")
        form: dict[str, str] = {}
        body: Any = None
        if "application/x-www-form-urlencoded" in content_type:
            form = {key: values[-1] for key, values in parse_qs(request.body.decode()).items()}
        elif request.body:
            body = json.loads(request.body)
        self.calls.append(RestCall(request.method, path, request.headers, form, body))
        if self.on_call is not None:
            self.on_call(self.calls[-1])
        for prefix, (status, payload) in self.fail_with.items():
            if path.startswith(prefix):
                await response.send_json(status, payload)
                return
        if path.startswith("/2010-04-01/"):  # Twilio: the call resource (or a new call)
            sid = path.rsplit("/", 1)[-1].removesuffix(".json")
            sid = "CA-new" if sid == "Calls" else sid
            await response.send_json(200, {"sid": sid, "status": form.get("Status", "in-progress")})
        elif path.startswith("/v1/Account/"):  # Plivo
            if request.method == "DELETE":
                await response.send(204, b"", "application/json")
            else:
                await response.send_json(
                    201 if path.endswith("/Call/") else 202,
                    {"api_id": "a-1", "message": "call fired", "request_uuid": "req-1"},
                )
        elif path == "/v2/calls":  # Telnyx: dial
            data = {
                "call_control_id": "v3:new",
                "call_leg_id": "leg",
                "call_session_id": "cs",
                "is_alive": False,
            }
            await response.send_json(200, {"data": {**data, "record_type": "call"}})
        else:  # Telnyx: call actions
            await response.send_json(200, {"data": {"result": "ok"}})
