"""The browser playground at ``/``: plain static files (``static/``: an HTML page, ES modules, two AudioWorklets,
no build step) that call this server's ``/ws`` from the browser's microphone.

When the server has a token (``PARLEY_TOKEN``), the page itself asks for it too: ``/?token=...`` (or an
``Authorization: Bearer`` header); without it ``/`` answers 401 with a one-field form that reloads the page with
the token. The page passes the token on to ``/ws?token=...`` (a browser cannot set headers on a WebSocket). The
assets (scripts, worklets, styles) are public: they are the same for everyone and hold no secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from pipeline.server.app import ServerContext
from pipeline.server.auth import authorized

STATIC_DIR = Path(__file__).resolve().parent / "static"
INDEX = STATIC_DIR / "index.html"
# the page's URL may carry ?token=: never send it on as a referrer, never cache the page
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

_ASK_FOR_TOKEN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parley playground: token needed</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; margin: 2rem">
<h1>Parley playground</h1>
<p>This server needs its token (<code>PARLEY_TOKEN</code>) to open the playground.</p>
<form method="get" action="./"><input name="token" type="password" autofocus placeholder="token">
<button type="submit">Open</button></form>
</body></html>
"""


def playground_routes(context: ServerContext) -> Sequence[BaseRoute]:
    """``GET /`` (the page, behind the token when there is one) and the page's assets. Mounts ``/``: add it last."""
    token = context.options.token

    async def page(request: Request) -> Response:
        if not authorized(request, token):
            return HTMLResponse(_ASK_FOR_TOKEN, status_code=401, headers=PAGE_HEADERS)
        return FileResponse(INDEX, headers=PAGE_HEADERS)

    return [
        Route("/", page, methods=["GET", "HEAD"]),
        Mount("/", app=StaticFiles(directory=STATIC_DIR), name="playground"),
    ]
