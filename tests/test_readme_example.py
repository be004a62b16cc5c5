"""The README's embedding example is real code: run it against a simulated caller."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator
from pathlib import Path

import anyio
import numpy as np
import pytest

from pipeline.base.audio import resample_int16
from pipeline.base.compute import inline_compute
from tests.speech_audio import speak

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.anyio


def readme_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL)
    (example,) = [block for block in blocks if "def handle_call" in block]
    return example


async def test_readme_embedding_example_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)  # the example loads configs/local.yaml
    namespace: dict[str, object] = {}
    exec(compile(readme_example(), "README.md", "exec"), namespace)

    voice = speak("What is the weather like in Paris today?", 16000, voice="en-us+klatt4", rate_wpm=150)
    caller = np.concatenate([np.zeros(8000, np.int16), voice, np.zeros(16000 * 4, np.int16)])
    phone_audio = resample_int16(caller, 16000, 8000)  # the example's caller is on an 8 kHz line

    async def caller_frames() -> AsyncGenerator[bytes, None]:
        for start in range(0, len(phone_audio), 160):
            yield phone_audio[start : start + 160].tobytes()
            await anyio.sleep(0.02)

    heard = bytearray()

    async def send_to_caller(pcm: bytes) -> None:
        heard.extend(pcm)

    with inline_compute():
        await namespace["handle_call"](caller_frames(), send_to_caller)  # type: ignore[operator]

    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    kinds = [event["type"] for event in events]
    assert "user_transcript" in kinds  # the handler saw the caller (8 kHz audio, converted at the edge)
    spoken = [event for event in events if event["type"] == "agent_stopped_speaking"]
    sources = [event["source"] for event in spoken]
    assert sources[0] == "say" and "reply" in sources  # the greeting, then an answer to the caller
    assert spoken[-1]["text"] == "Thanks for calling." and not spoken[-1]["interrupted"]  # end(goodbye=...)
    assert (
        len(heard) > 16000 * 2 * 1
    )  # at least a second of agent audio reached the caller (Piper speaks faster)
