"""``provider: simulated`` in YAML: the simulated STT, LLM and TTS a server can share between its calls — each
call hears the script from its start and gets the reply for its own turn, whatever other calls did."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.base.audio import AudioFrame
from pipeline.session.config import ConfigError, parse_config
from providers.llm import ChatMessage, LlmRequest, Role, TextDelta
from providers.simulated import tone
from providers.tts import TtsAudio

pytestmark = pytest.mark.anyio

CONFIG = """
stt: {provider: simulated, utterances: ["first words", "second words"], final_delay: 0.1}
llm: {provider: simulated, replies: ["Reply one.", "Reply two."], ttft: 0.1}
tts: {provider: simulated, ttfb: 0.1, seconds_per_char: 0.04}
"""


async def _reply(llm, assistant_turns: int) -> str:
    history = [ChatMessage(Role.USER, "hi"), ChatMessage(Role.ASSISTANT, "hello")] * assistant_turns
    request = LlmRequest(messages=(*history, ChatMessage(Role.USER, "and?")))
    return "".join([chunk.text async for chunk in llm.stream(request) if isinstance(chunk, TextDelta)])


async def test_each_call_hears_the_script_from_its_start():
    stt = parse_config(CONFIG).stt.build()
    loud = AudioFrame(tone(0.02).tobytes(), 16000, 0.0)
    finals = []
    for _ in range(2):  # two calls, one after the other, on the same provider object
        async with stt.stream(sample_rate=16000) as stream:
            await stream.push_audio(loud)
            await stream.finalize()
            async for transcript in stream.transcripts():
                if transcript.is_final:
                    finals.append(transcript.text)
                    break
    assert finals == ["first words", "first words"]


async def test_the_llm_replies_for_the_calls_own_turn():
    llm = parse_config(CONFIG).llm[0].build()
    assert [await _reply(llm, turns) for turns in (0, 1, 0, 2)] == [
        "Reply one.", "Reply two.", "Reply one.", "Reply one."
    ]  # fmt: skip


async def test_the_tts_speaks_a_tone_as_long_as_the_text():
    tts = parse_config(CONFIG).tts.build()
    async with tts.stream() as stream:
        await stream.push_text("Hello.")
        await stream.end_input()
        pcm = b"".join([output.pcm async for output in stream.outputs() if isinstance(output, TtsAudio)])
    samples = np.frombuffer(pcm, dtype=np.int16)
    assert len(samples) == round(6 * 0.04 * tts.sample_rate) and np.abs(samples).max() > 1000


def test_a_simulated_llm_without_replies_is_a_clear_config_error():
    with pytest.raises(ConfigError, match=r"llm\.replies"):
        parse_config(CONFIG.replace('["Reply one.", "Reply two."]', "[]"))
