"""Audio endpoints of the OpenAI fake: `/v1/audio/speech` bodies and `/v1/audio/transcriptions` parsing."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from tests.fakes.audio import BYTES_PER_SAMPLE, tone
from tests.fakes.sse import SseStyle, sse_json
from tests.fakes.transcripts import ScriptedWords

SPEECH_SAMPLE_RATE = 24000
SPEECH_CONTENT_TYPES = {"pcm": "audio/pcm", "wav": "audio/wav"}


@dataclass(frozen=True)
class SpeechTiming:
    first_byte_delay: float  # seconds before the first audio chunk
    audio_pace: float  # wall seconds per second of audio (0 = as fast as possible, 1 = real time)
    ms_per_char: int
    chunk_ms: int


async def speech_chunks(text: str, response_format: str, timing: SpeechTiming) -> AsyncGenerator[bytes, None]:
    """24 kHz s16le mono tone, `ms_per_char` per character of input; WAV adds a header first."""
    total = SPEECH_SAMPLE_RATE * timing.ms_per_char * len(text) // 1000
    step = SPEECH_SAMPLE_RATE * timing.chunk_ms // 1000
    if timing.first_byte_delay > 0:
        await asyncio.sleep(timing.first_byte_delay)
    if response_format == "wav":
        yield wav_header(total * BYTES_PER_SAMPLE, SPEECH_SAMPLE_RATE)
    for start in range(0, total, step):
        count = min(step, total - start)
        yield tone(SPEECH_SAMPLE_RATE, count, start)
        if timing.audio_pace > 0:
            await asyncio.sleep(timing.audio_pace * count / SPEECH_SAMPLE_RATE)


def wav_header(data_bytes: int, sample_rate: int) -> bytes:
    byte_rate = sample_rate * BYTES_PER_SAMPLE
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, byte_rate, BYTES_PER_SAMPLE, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


@dataclass(frozen=True)
class FormPart:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def parse_multipart(body: bytes, content_type: str) -> list[FormPart]:
    """Parse a multipart/form-data body (as httpx writes it)."""
    boundary = ""
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        raise ValueError("multipart body without boundary")
    parts: list[FormPart] = []
    for raw in body.split(b"--" + boundary.encode())[1:]:
        if raw.startswith(b"--"):
            break
        head, _, data = raw.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition = _disposition_params(headers.get("content-disposition", ""))
        parts.append(
            FormPart(
                name=disposition.get("name", ""),
                filename=disposition.get("filename"),
                content_type=headers.get("content-type"),
                data=data.removesuffix(b"\r\n"),
            )
        )
    return parts


def _disposition_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in value.split(";")[1:]:
        key, _, raw = item.strip().partition("=")
        params[key.lower()] = raw.strip('"')
    return params


def form_summary(parts: list[FormPart]) -> dict[str, Any]:
    """Recorded form: text fields as strings, files as {filename, content_type, size}."""
    summary: dict[str, Any] = {}
    for part in parts:
        if part.filename is None:
            summary[part.name] = part.data.decode("utf-8")
        else:
            summary[part.name] = {
                "filename": part.filename,
                "content_type": part.content_type,
                "size": len(part.data),
            }
    return summary


async def transcription_events(
    words: ScriptedWords, style: SseStyle, delay: float
) -> AsyncGenerator[bytes, None]:
    """`transcript.text.delta` per word, then `transcript.text.done`."""
    for index, token in enumerate(words.tokens):
        if delay > 0:
            await asyncio.sleep(delay)
        delta = token if index == 0 else " " + token
        yield sse_json({"type": "transcript.text.delta", "delta": delta, "logprobs": []}, style)
    yield sse_json({"type": "transcript.text.done", "text": words.text(), "logprobs": []}, style)
