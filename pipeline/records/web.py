"""A read-only view of recent calls for a server's playground: an ASGI app (no framework needed).

    GET /            HTML: recent calls with their transcript and per-turn latency
    GET /calls.json  JSON: the recent calls' summaries
    GET /{id}.json   JSON: one call record

Mount it (Starlette: ``Mount("/calls", app=recent_calls_app(store))``)."""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pipeline.records.model import CallRecord
from pipeline.records.store import CallStore

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def recent_calls_app(store: CallStore, *, limit: int = 20) -> AsgiApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope.get("method", "GET") not in ("GET", "HEAD"):
            await _respond(send, 405, "text/plain", b"read-only")
            return
        path = scope.get("path", "/")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        path = path.strip("/")
        if path in ("", "index.html"):
            records = [
                r for r in [await store.get(s.id) for s in await store.list_calls(limit)] if r is not None
            ]
            await _respond(send, 200, "text/html; charset=utf-8", render_html(records).encode())
        elif path == "calls.json":
            summaries = [s.model_dump(mode="json") for s in await store.list_calls(limit)]
            await _respond(send, 200, "application/json", json.dumps(summaries).encode())
        elif path.endswith(".json"):
            record = await store.get(path.removesuffix(".json"))
            if record is None:
                await _respond(send, 404, "application/json", b'{"error": "no such call"}')
            else:
                await _respond(send, 200, "application/json", record.model_dump_json().encode())
        else:
            await _respond(send, 404, "text/plain", b"not found")

    return app


async def _respond(send: Send, status: int, content_type: str, body: bytes) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def render_html(records: list[CallRecord]) -> str:
    parts = [
        "<!doctype html><meta charset=utf-8><title>Recent calls</title>",
        "<style>body{font-family:sans-serif;margin:2em}section{border-top:1px solid #ccc;padding:.5em 0}"
        ".agent{color:#225}.user{color:#252}.cut{color:#a00}table{border-collapse:collapse}"
        "td,th{padding:0 .6em;text-align:right}</style><h1>Recent calls</h1>",
    ]
    if not records:
        parts.append("<p>No calls recorded yet.</p>")
    for record in records:
        e = html.escape
        state = "incomplete" if record.incomplete else e(record.end_reason or "")
        parts.append(
            f"<section><h2>{e(record.id)}</h2><p>{e(record.started_at or '')} · {state} · "
            f"{record.duration or 0:.1f} s · {e(record.config_name or '')} · {e(record.caller_number or '')}</p><ol>"
        )
        for entry in record.transcript:
            text = e(entry.heard_text if entry.interrupted and entry.heard_text is not None else entry.text)
            cut = " <span class=cut>[interrupted]</span>" if entry.interrupted else ""
            parts.append(f"<li class={entry.role}><b>{entry.role}</b>: {text}{cut}</li>")
        parts.append("</ol>")
        if record.turns:
            parts.append(
                "<table><tr><th>turn</th><th>voice-to-voice ms</th><th>endpointing</th><th>LLM TTFT</th><th>TTS TTFB</th></tr>"
            )
            for turn in record.turns:
                parts.append(
                    f"<tr><td>{int(turn['turn_id'])}</td><td>{turn['voice_to_voice'] * 1000:.0f}</td>"
                    f"<td>{turn['endpointing'] * 1000:.0f}</td><td>{turn['llm_ttft'] * 1000:.0f}</td>"
                    f"<td>{turn['tts_ttfb'] * 1000:.0f}</td></tr>"
                )
            parts.append("</table>")
        parts.append("</section>")
    return "".join(parts)
