"""Property-based tests (hypothesis) of the parsers that face the outside: whatever arrives, each one gives a
result or its own clear error, never a crash of another kind. Bounded examples and deadlines keep CI short."""

from __future__ import annotations

import contextlib
import json
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai._models import construct_type
from openai.types.chat import ChatCompletionChunk

from pipeline.base.audio import read_wav
from pipeline.base.audio.frame import AudioFormatError
from pipeline.session.config import ConfigError, parse_config
from pipeline.stages.sentences import SentenceSplitter
from providers.elevenlabs.protocol import MalformedMessage, parse_server_message
from providers.openai.chat_chunks import CompletionReader, MalformedChunk
from tests.test_config import VALID, make_registry

# Examples are bounded; per-example deadlines are not (a loaded 2-core CI box makes them flaky), the module's
# pytest timeout bounds the whole run instead.
BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
pytestmark = pytest.mark.timeout(120)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


def wav_header(rate: int, channels: int, width: int, frames: bytes) -> bytes:
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * width, channels * width, width * 8)
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(frames))
        + frames
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


@BOUNDED
@given(
    rate=st.integers(0, 400_000),
    channels=st.integers(0, 3),
    width=st.integers(0, 4),
    frames=st.binary(max_size=400),
)
def test_wav_reader_gives_audio_or_a_format_error(
    rate: int, channels: int, width: int, frames: bytes
) -> None:
    try:
        frame, _ = read_wav(wav_header(rate, channels, width, frames), 16000)
    except AudioFormatError:
        return
    assert frame.sample_rate == 16000


@BOUNDED
@given(st.binary(max_size=300))
def test_wav_reader_on_any_bytes(data: bytes) -> None:
    with contextlib.suppress(AudioFormatError):
        read_wav(b"RIFF" + data, 16000)


@BOUNDED
@given(st.text(max_size=300))
def test_config_loader_gives_a_config_or_a_config_error(text: str) -> None:
    with contextlib.suppress(ConfigError):
        parse_config(text, source="agent.yaml", providers=make_registry(), environ={})


@BOUNDED
@given(
    key=st.sampled_from(["agent: {instructions: ", "audio: {sample_rate: ", "turn: {detector: "]),
    value=st.text(alphabet="${}:-_ABCXYZ019 ", max_size=30),
)
def test_interpolation_gives_a_config_or_a_config_error(key: str, value: str) -> None:
    with contextlib.suppress(ConfigError):
        parse_config(
            VALID + key + json.dumps(value) + "}\n", providers=make_registry(), environ={"ABC": "8000"}
        )


@BOUNDED
@given(st.lists(json_values, max_size=6))
def test_chat_chunks_give_chunks_or_a_malformed_chunk(payloads: list[Any]) -> None:
    reader = CompletionReader()
    try:
        for payload in payloads:
            reader.feed(construct_type(type_=ChatCompletionChunk, value=payload))
        reader.finish()
    except (MalformedChunk, TypeError, ValueError, AttributeError):
        pass  # the adapter maps exactly these to a provider bad response


@BOUNDED
@given(st.one_of(st.text(max_size=200), json_values.map(json.dumps)))
def test_elevenlabs_frames_give_events_or_malformed(frame: str) -> None:
    with contextlib.suppress(MalformedMessage):
        parse_server_message(frame)


@BOUNDED
@given(st.lists(st.text(alphabet="ab .!?\n\"')J3", max_size=15), max_size=30))
def test_the_splitter_keeps_every_word_in_order(deltas: list[str]) -> None:
    splitter = SentenceSplitter(max_chars=40)
    out: list[str] = []
    for delta in deltas:
        out += splitter.push(delta)
    rest = splitter.flush()
    pieces = [*out, rest] if rest else out
    assert all(len(piece) <= 40 for piece in out)
    assert "".join("".join(pieces).split()) == "".join("".join(deltas).split())


results_like = st.fixed_dictionaries(
    {"type": st.just("Results")},
    optional={
        "channel_index": json_values,
        "duration": json_values,
        "start": json_values,
        "is_final": json_values,
        "from_finalize": json_values,
        "channel": st.fixed_dictionaries(
            {},
            optional={
                "alternatives": st.lists(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "transcript": json_values,
                            "confidence": json_values,
                            "words": st.lists(
                                st.dictionaries(
                                    st.sampled_from(
                                        ["word", "start", "end", "confidence", "punctuated_word"]
                                    ),
                                    json_values,
                                ),
                                max_size=3,
                            )
                            | json_values,
                        },
                    ),
                    max_size=2,
                )
                | json_values
            },
        )
        | json_values,
    },
)


@BOUNDED
@given(st.one_of(results_like, json_values))
def test_deepgram_frames_give_a_reaction_or_a_skippable_error(payload: Any) -> None:
    """Whatever a Results frame holds, the Nova dialect reacts or raises one of the errors the receive loop skips
    (a malformed frame costs its own words, never the call); an Error frame is a ProviderError."""
    from deepgram.core.unchecked_base_model import construct_type as deepgram_construct
    from deepgram.listen.v1.socket_client import V1SocketClientResponse

    from providers.deepgram.finalize import FinalizeTracker
    from providers.deepgram.nova import NovaDialect
    from providers.errors import ProviderError

    try:
        message = deepgram_construct(type_=V1SocketClientResponse, object_=payload)
    except Exception:
        message = payload  # what the SDK does with a message it cannot read
    dialect = NovaDialect("deepgram", None, {}, FinalizeTracker(timeout=1.0, settle=0.1))  # type: ignore[arg-type]
    with contextlib.suppress(AttributeError, TypeError, ValueError, KeyError, IndexError, ProviderError):
        dialect.message(message, 0.0, lambda seconds: seconds)
