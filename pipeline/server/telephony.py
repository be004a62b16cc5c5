"""The telephony routes in the server: POST /twilio /plivo /telnyx, their stream WebSockets and the documents
fetched during a call (see ``pipeline.transports.telephony.routes``). Phone streams count against the worker's
session limit and are refused while draining (close code 4503, like ``/ws``); a shutdown past the drain deadline
stops them."""

from __future__ import annotations

from starlette.routing import BaseRoute

from pipeline.server.app import ServerContext
from pipeline.server.lifecycle import Admission as ServerAdmission
from pipeline.server.protocol import CLOSE_BUSY
from pipeline.transports.telephony.routes import Admission, StopCall, TelephonyRoutes
from pipeline.transports.telephony.settings import TelephonySettings


def telephony_routes(context: ServerContext) -> list[BaseRoute]:
    settings = TelephonySettings.from_env(public_url=context.options.public_url)
    lifecycle = context.lifecycle

    def admit(stop: StopCall) -> Admission:
        admission, call_id = lifecycle.admit(stop)
        if admission is not ServerAdmission.ADMITTED:
            return Admission(False, close_code=CLOSE_BUSY, reason=admission.value)
        return Admission(True, release=lambda: lifecycle.release(call_id))

    return TelephonyRoutes(context.pipeline, settings, admit=admit).routes()
