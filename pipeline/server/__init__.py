"""``parley serve``: the voice-agent server (Starlette + uvicorn) — Parley's WebSocket protocol at ``/ws``
(see PROTOCOL.md), health and readiness, graceful drain, auth and limits."""
