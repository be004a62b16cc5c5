"""``parley serve`` over real sockets: a real uvicorn on 127.0.0.1 and the ``websockets`` client, speaking the
protocol as PROTOCOL.md describes it. Auth, the session limit, message limits, hang-up and the drain."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from pipeline.server.lifecycle import ServerPhase
from tests.doubles import RATE, silence, tone
from tests.server_harness import TOKEN, running_server

pytestmark = pytest.mark.anyio
START = json.dumps(
    {"type": "start", "sample_rate": RATE, "encoding": "pcm16", "metadata": {"caller": "+1555"}}
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # uvicorn and the websockets client


async def close_code(ws: ClientConnection, limit: float = 5.0) -> int | None:
    """Read until the server closes; its close code."""
    with anyio.fail_after(limit):
        try:
            async for _ in ws:
                pass
        except ConnectionClosed:
            pass
    return ws.close_code


async def started(url: str, **kwargs: Any) -> ClientConnection:
    ws = await connect(url, **kwargs)
    await ws.send(START)
    ready = json.loads(await ws.recv())
    assert (
        ready["type"] == "ready" and ready["sample_rate"] == RATE and ready["metadata"] == {"caller": "+1555"}
    )
    return ws


async def send_audio(ws: ClientConnection, samples: Any, frame: float = 0.02) -> None:
    step = round(frame * RATE)
    for start in range(0, len(samples), step):
        await ws.send(samples[start : start + step].tobytes())
        await anyio.sleep(frame)


async def test_a_whole_call_audio_in_events_and_audio_out_then_end() -> None:
    async with running_server() as server, await started(server.url()) as ws:
        events: list[dict[str, Any]] = []
        audio = bytearray()

        async def receive() -> None:
            async for message in ws:
                if isinstance(message, bytes):
                    audio.extend(message)
                else:
                    events.append(json.loads(message))

        async with anyio.create_task_group() as group:
            group.start_soon(receive)
            await send_audio(ws, silence(0.2))
            await send_audio(ws, tone(0.8))
            with anyio.fail_after(10):
                while not any(e["type"] == "agent_stopped_speaking" for e in events):
                    await send_audio(ws, silence(0.1))
            await ws.send(json.dumps({"type": "end"}))
            with anyio.fail_after(5):
                await ws.wait_closed()
            assert ws.close_code == 1000
            group.cancel_scope.cancel()
        kinds = [event["type"] for event in events]
        assert "user_transcript" in kinds and "turn_metrics" in kinds
        assert kinds[-1] == "session_ended" and events[-1]["reason"] == "caller_ended"
        assert len(audio) >= 2 * RATE * 0.3  # the reply's 0.38 s of agent speech (PCM16)


@pytest.mark.parametrize("token", [None, "wrong"])
async def test_a_missing_or_wrong_token_is_rejected_with_4401(token: str | None) -> None:
    async with running_server() as server:
        async with connect(server.url(token=token)) as ws:
            assert await close_code(ws) == 4401
        assert server.context.lifecycle.sessions_total == 0


async def test_the_bearer_header_is_accepted() -> None:
    async with running_server() as server:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with await started(server.url(token=None), additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "end"}))
            assert await close_code(ws) == 1000


async def test_the_call_over_the_session_limit_is_rejected_with_4503_and_readyz_says_so() -> None:
    async with running_server(max_sessions=2) as server, httpx.AsyncClient() as http:
        assert (await http.get(server.http("/readyz"))).status_code == 200
        first = await started(server.url())
        second = await started(server.url())
        readyz = await http.get(server.http("/readyz"))
        assert readyz.status_code == 503 and readyz.json()["active_sessions"] == 2
        async with connect(server.url()) as third:
            assert await close_code(third) == 4503
        await first.close()
        await second.close()


async def test_an_oversized_message_closes_with_1009() -> None:
    async with running_server(max_message_bytes=4096) as server, await started(server.url()) as ws:
        await ws.send(b"\0" * 8192)
        assert await close_code(ws) == 1009
        with anyio.fail_after(5):
            while server.context.lifecycle.active_sessions:
                await anyio.sleep(0.01)


@pytest.mark.parametrize(
    ("first", "reason"),
    [
        ("not json", "not JSON"),
        ('{"type": "say", "text": "x"}', "first message must be 'start'"),
        ('{"type": "start", "sample_rate": 16000, "encoding": "mulaw"}', "mulaw"),
    ],
)
async def test_a_bad_start_closes_with_4400_naming_the_problem(first: str, reason: str) -> None:
    async with running_server() as server, connect(server.url()) as ws:
        await ws.send(first)
        assert await close_code(ws) == 4400
        assert ws.close_reason is not None and reason in ws.close_reason


async def test_an_unknown_control_message_closes_with_4400() -> None:
    async with running_server() as server, await started(server.url()) as ws:
        await ws.send(json.dumps({"type": "dance"}))
        assert await close_code(ws) == 4400
        assert "unknown message type 'dance'" in (ws.close_reason or "")


async def test_a_flood_of_control_messages_closes_with_4429() -> None:
    async with running_server(control_rate=5, control_burst=5) as server, await started(server.url()) as ws:
        for _ in range(20):
            await ws.send(json.dumps({"type": "inject", "text": "note"}))
        assert await close_code(ws) == 4429


async def test_a_silent_client_is_closed_with_4408() -> None:
    async with running_server(idle_timeout=0.3) as server, await started(server.url()) as ws:
        assert await close_code(ws) == 4408


async def test_the_idle_timeout_counts_from_the_last_message() -> None:
    async with running_server(idle_timeout=0.3) as server, await started(server.url()) as ws:
        await send_audio(ws, silence(1.0))  # audio for over three idle timeouts: the call goes on
        for _ in range(3):  # then messages 0.2 s apart: each is within the timeout of the one before
            await anyio.sleep(0.2)
            await ws.send(json.dumps({"type": "inject", "text": "still here"}))
        assert ws.close_code is None
        assert await close_code(ws) == 4408  # and once quiet, it is closed as idle


async def test_a_hang_up_mid_reply_frees_the_session() -> None:
    replies = ["This is a long answer that goes on and on for quite a while, " * 4]
    async with running_server(simple_pipeline_replies(replies)) as server:
        ws = await started(server.url())

        async def caller() -> None:
            await send_audio(ws, silence(0.2))
            await send_audio(ws, tone(0.8))
            await send_audio(ws, silence(10))

        async with anyio.create_task_group() as group:
            group.start_soon(caller)
            with anyio.fail_after(10):  # until agent audio flows
                while not isinstance(await ws.recv(), bytes):
                    pass
            group.cancel_scope.cancel()
        await ws.close()  # the caller hangs up while the agent talks
        with anyio.fail_after(3):  # liveness bound only; the < 100 ms bound is tested on virtual time
            while server.context.lifecycle.active_sessions:
                await anyio.sleep(0.01)


async def test_the_drain_refuses_new_calls_and_lets_the_current_one_finish() -> None:
    async with running_server(drain_deadline=10) as server, httpx.AsyncClient() as http:
        ws = await started(server.url())
        lifecycle = server.context.lifecycle
        lifecycle.request_drain()
        with anyio.fail_after(5):
            while lifecycle.phase is ServerPhase.SERVING:
                await anyio.sleep(0.01)
        assert (await http.get(server.http("/readyz"))).status_code == 503
        async with connect(server.url()) as late:
            assert await close_code(late) == 4503
        await ws.send(json.dumps({"type": "say", "text": "still here"}))  # the call in progress goes on
        await ws.send(json.dumps({"type": "end"}))
        assert await close_code(ws) == 1000
        with anyio.fail_after(5):
            while lifecycle.phase is not ServerPhase.STOPPED:
                await anyio.sleep(0.01)


async def test_drain_is_only_accepted_from_loopback_and_health_routes_answer() -> None:
    async with running_server() as server, httpx.AsyncClient() as http:
        assert (await http.get(server.http("/healthz"))).text == "ok"
        assert "parley_active_sessions 0" in (await http.get(server.http("/metrics"))).text
        assert (await http.post(server.http("/drain"))).status_code == 202  # the test client is on loopback


def simple_pipeline_replies(replies: list[str]) -> Any:
    from tests.server_harness import simple_pipeline

    return simple_pipeline(replies)


async def test_a_barge_in_sends_clear_for_the_interrupted_speech() -> None:
    replies = ["This is a long answer that goes on and on for quite a while, " * 4, "Okay."]
    async with running_server(simple_pipeline_replies(replies)) as server:
        ws = await started(server.url())
        messages: list[Any] = []

        async def caller() -> None:
            await send_audio(ws, silence(0.2))
            await send_audio(ws, tone(0.8))
            with anyio.fail_after(10):
                while not any(isinstance(m, bytes) for m in messages):
                    await send_audio(ws, silence(0.02))
            await send_audio(ws, silence(0.5))  # the agent talks for a moment
            await send_audio(ws, tone(1.2))  # then the caller talks over it
            await send_audio(ws, silence(10))

        async def receive() -> None:
            async for message in ws:
                messages.append(message if isinstance(message, bytes) else json.loads(message))

        async with anyio.create_task_group() as group:
            group.start_soon(caller)
            group.start_soon(receive)
            with anyio.fail_after(15):
                while not any(isinstance(m, dict) and m["type"] == "clear" for m in messages):
                    await anyio.sleep(0.02)
            group.cancel_scope.cancel()
        await ws.close()
    texts = [m for m in messages if isinstance(m, dict)]
    (clear,) = [m for m in texts if m["type"] == "clear"]
    started_speech = next(m for m in texts if m["type"] == "agent_started_speaking")
    assert clear["speech_id"] == started_speech["speech_id"]


async def test_the_call_client_sends_a_wav_and_writes_the_reply(tmp_path: Any) -> None:
    import numpy as np

    from pipeline.base.audio import read_wav, write_wav
    from pipeline.server.client import call, write_agent_audio

    wav = tmp_path / "caller.wav"
    write_wav(wav, np.concatenate([silence(0.3), tone(0.8), silence(0.3)]), RATE)
    async with running_server() as server:
        summary = await call(server.url(token=None), wav, token=TOKEN, sample_rate=RATE, quiet=1.0, limit=15)
    assert summary.close_code == 1000 and summary.session_id.startswith("sess_")
    assert summary.of_type("agent_stopped_speaking")[0]["heard_text"] == "Hi, how can I help?"
    seconds = write_agent_audio(summary, tmp_path / "reply.wav", RATE)
    reply, _ = read_wav(tmp_path / "reply.wav")
    assert seconds > 0.3 and reply.duration >= seconds


async def test_playback_reports_every_frame_are_not_rate_limited() -> None:
    async with running_server(control_rate=5, control_burst=5) as server, await started(server.url()) as ws:
        for frame in range(60):  # a browser reporting each 20 ms frame it played, for 1.2 s
            await ws.send(json.dumps({"type": "played", "speech_id": "speech_1", "seconds": frame * 0.02}))
            await ws.send(silence(0.02).tobytes())
            await anyio.sleep(0.02)
        await ws.send(json.dumps({"type": "end"}))
        assert await close_code(ws) == 1000
