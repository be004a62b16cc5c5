"""Bearer-token auth for ``/ws`` and the playground: ``Authorization: Bearer <token>`` or ``?token=<token>``."""

from __future__ import annotations

import hmac

from starlette.requests import HTTPConnection


def presented_token(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return connection.query_params.get("token") or None


def authorized(connection: HTTPConnection, token: str | None) -> bool:
    """True when the server has no token, or the connection presents it (compared in constant time)."""
    if token is None:
        return True
    presented = presented_token(connection)
    return presented is not None and hmac.compare_digest(presented.encode(), token.encode())
