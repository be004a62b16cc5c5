"""Offline streaming speech-to-text with pocketsphinx 5 and its bundled US-English model.

A :class:`SphinxModel` describes the model files and keeps a pool of loaded decoders; each audio stream gets a
:class:`SphinxRecognizer` (``start`` / ``feed`` / ``partial`` / ``finish``, repeatable per utterance, then
``close``). All calls block; run them in a worker thread from async code.

Cost (measured on a 2-core x86-64 box): loading a decoder (acoustic model, 134k-word dictionary and the 27 MB
trigram LM) takes 0.2-0.35 s and about 88 MB of private memory; decoding costs 0.1-0.2 s of CPU per second of
audio (more for long utterances).
pocketsphinx cannot share loaded model data between decoders safely: handing one ``NGramModel`` to several
decoders changes their results (the LM keeps a mutable lookup cache), and the acoustic model and dictionary
have no sharing API. Instead, closed recognizers return their decoder to the model's pool, so a later stream
starts in about 0.1 ms instead of 0.2 s; its feature extraction and cepstral mean are reset, so results are the
same as with a fresh decoder. pocketsphinx keeps the GIL while decoding, so recognizers in different threads
take turns rather than decoding in parallel: use several processes to decode many streams at once.
"""

from __future__ import annotations

import enum
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pocketsphinx

SAMPLE_RATE = 16000  # the en-us acoustic model is trained on 16 kHz speech
_FRAMES_PER_SECOND = 100  # pocketsphinx's default frame rate


def _default_model_dir() -> Path:
    return Path(pocketsphinx.get_model_path("en-us"))


@dataclass(frozen=True, slots=True)
class SphinxConfig:
    """Model files and search settings. The defaults are the wheel's en-us model with pocketsphinx's tuned
    settings; on synthetic test speech, other language weights and wider beams were no more accurate (wider
    beams only cost 2.5x the CPU).
    """

    acoustic_model: Path | None = None  # directory; default <model>/en-us/en-us
    language_model: Path | None = None  # default <model>/en-us/en-us.lm.bin
    dictionary: Path | None = None  # default <model>/en-us/cmudict-en-us.dict
    language_weight: float = 6.5
    word_insertion_penalty: float = 0.65
    beam: float = 1e-48
    word_beam: float = 7e-29

    def paths(self) -> tuple[Path, Path, Path]:
        """(acoustic model, language model, dictionary), checked to exist."""
        base = _default_model_dir()
        paths = (
            self.acoustic_model or base / "en-us",
            self.language_model or base / "en-us.lm.bin",
            self.dictionary or base / "cmudict-en-us.dict",
        )
        for path in paths:
            if not path.exists():
                raise FileNotFoundError(f"pocketsphinx model file not found: {path}")
        return paths

    def decoder_config(self) -> pocketsphinx.Config:
        hmm, lm, dictionary = self.paths()
        return pocketsphinx.Config(
            hmm=str(hmm),
            lm=str(lm),
            dict=str(dictionary),
            samprate=SAMPLE_RATE,
            lw=self.language_weight,
            wip=self.word_insertion_penalty,
            beam=self.beam,
            wbeam=self.word_beam,
            loglevel="FATAL",
        )


@dataclass(frozen=True, slots=True)
class SphinxWord:
    """A recognised word; times are seconds from the start of the utterance's audio."""

    text: str
    start_s: float
    end_s: float
    confidence: float  # posterior probability of the word, 0..1


@dataclass(frozen=True, slots=True)
class SphinxResult:
    """The final hypothesis of one utterance."""

    text: str
    words: list[SphinxWord]
    audio_s: float  # audio fed during the utterance
    decode_s: float  # time spent inside pocketsphinx for this utterance


class DecoderPool:
    """Loaded decoders for one configuration; a decoder is lent to one recognizer at a time."""

    def __init__(self, config: SphinxConfig, max_idle: int) -> None:
        config.paths()  # fail early on missing model files
        self._config = config
        self._max_idle = max_idle
        self._idle: list[pocketsphinx.Decoder] = []
        self._lock = threading.Lock()
        self.loads = 0
        self.last_load_s = 0.0

    def acquire(self) -> pocketsphinx.Decoder:
        """An idle decoder with fresh feature state, or a newly loaded one (blocks ~0.2 s)."""
        with self._lock:
            decoder = self._idle.pop() if self._idle else None
        if decoder is not None:
            decoder.reinit_feat()  # forget the previous stream's cepstral mean
            return decoder
        started = time.perf_counter()
        decoder = pocketsphinx.Decoder(self._config.decoder_config())
        with self._lock:
            self.loads += 1
            self.last_load_s = time.perf_counter() - started
        return decoder

    def release(self, decoder: pocketsphinx.Decoder) -> None:
        with self._lock:
            if len(self._idle) < self._max_idle:
                self._idle.append(decoder)

    def preload(self, count: int) -> None:
        """Load decoders ahead of time so the first streams start without the load delay."""
        decoders = [self.acquire() for _ in range(count)]
        for decoder in decoders:
            self.release(decoder)

    @property
    def idle(self) -> int:
        with self._lock:
            return len(self._idle)


class SphinxModel:
    """The en-us recognizer model: hands out recognizers that reuse pooled decoders."""

    sample_rate = SAMPLE_RATE

    def __init__(self, config: SphinxConfig | None = None, *, max_idle_decoders: int = 4) -> None:
        self.config = config or SphinxConfig()
        self.pool = DecoderPool(self.config, max_idle_decoders)

    @classmethod
    def load(cls, config: SphinxConfig | None = None, *, preload: int = 1) -> SphinxModel:
        """A model with ``preload`` decoders already loaded (see :attr:`load_time_s`)."""
        model = cls(config)
        model.pool.preload(preload)
        return model

    @property
    def load_time_s(self) -> float:
        """Wall time of the most recent decoder load (0.0 if none was loaded yet)."""
        return self.pool.last_load_s

    def recognizer(self) -> SphinxRecognizer:
        return SphinxRecognizer(self.pool)


class RecognizerState(enum.Enum):
    """READY --start--> LISTENING --finish--> READY; any --close--> CLOSED."""

    READY = "ready"
    LISTENING = "listening"
    CLOSED = "closed"


def _is_filler(token: str) -> bool:
    """<s>, </s>, <sil>, [NOISE], [BREATH], ++GARBAGE++ and other non-words."""
    return token.startswith(("<", "[", "+")) or not token


def _strip_variant(token: str) -> str:
    """ "the(2)" -> "the": pocketsphinx marks alternative pronunciations with a numbered suffix."""
    if token.endswith(")") and "(" in token:
        return token[: token.rindex("(")]
    return token


def pcm16_bytes(pcm16: bytes | bytearray | memoryview | np.ndarray) -> bytes:
    """Validate mono 16-bit PCM (bytes or an int16 array) and return it as little-endian bytes."""
    if isinstance(pcm16, bytes | bytearray | memoryview):
        data = bytes(pcm16)
        if len(data) % 2:
            raise ValueError(f"16-bit PCM needs an even number of bytes, got {len(data)}")
        return data
    if isinstance(pcm16, np.ndarray):
        if pcm16.dtype != np.int16:
            raise ValueError(
                f"expected int16 samples, got {pcm16.dtype}; scale float audio to int16 "
                "(e.g. np.clip(x * 32767, -32768, 32767).astype(np.int16))"
            )
        if pcm16.ndim == 2 and pcm16.shape[1] == 1:
            pcm16 = pcm16[:, 0]
        if pcm16.ndim != 1:
            raise ValueError(f"expected mono audio (a 1-D array), got shape {pcm16.shape}")
        return pcm16.astype("<i2", copy=False).tobytes()
    raise TypeError(f"expected PCM16 bytes or an int16 numpy array, got {type(pcm16).__name__}")


class SphinxRecognizer:
    """Streaming recognition of one audio stream (16 kHz int16 mono). Blocking; one thread at a time.

    The recognizer keeps its decoder between utterances, so the cepstral mean adapts to the caller's channel;
    ``close()`` (or leaving a ``with`` block) gives the decoder back to the model's pool.
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, pool: DecoderPool) -> None:
        self._pool = pool
        self._decoder: pocketsphinx.Decoder | None = None
        self._state = RecognizerState.READY
        self._samples = 0
        self._decode_s = 0.0

    @property
    def state(self) -> RecognizerState:
        return self._state

    def __enter__(self) -> SphinxRecognizer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> None:
        """Begin an utterance; word times in its result count from the first sample fed after this."""
        if self._state is not RecognizerState.READY:
            raise RuntimeError(f"start() needs a READY recognizer, this one is {self._state.name}")
        if self._decoder is None:
            self._decoder = self._pool.acquire()
        self._decoder.start_utt()
        self._samples = 0
        self._decode_s = 0.0
        self._state = RecognizerState.LISTENING

    def feed(self, pcm16: bytes | np.ndarray, *, sample_rate: int = SAMPLE_RATE) -> None:
        """Decode more audio of the current utterance."""
        decoder = self._listening_decoder("feed()")
        if sample_rate != SAMPLE_RATE:
            raise ValueError(
                f"the pocketsphinx en-us model needs {SAMPLE_RATE} Hz audio, got {sample_rate} Hz; resample first"
            )
        data = pcm16_bytes(pcm16)
        if not data:
            return
        started = time.perf_counter()
        decoder.process_raw(data, no_search=False, full_utt=False)
        self._decode_s += time.perf_counter() - started
        self._samples += len(data) // 2

    def partial(self) -> str:
        """The current best hypothesis of the utterance so far ("" before anything is recognised)."""
        if self._state is not RecognizerState.LISTENING or self._decoder is None:
            return ""
        hypothesis = self._decoder.hyp()
        return hypothesis.hypstr if hypothesis is not None else ""

    def finish(self) -> SphinxResult:
        """End the utterance and return its final words (fillers and silences removed)."""
        decoder = self._listening_decoder("finish()")
        started = time.perf_counter()
        decoder.end_utt()
        words = [
            SphinxWord(
                text=_strip_variant(segment.word),
                start_s=segment.start_frame / _FRAMES_PER_SECOND,
                end_s=(segment.end_frame + 1) / _FRAMES_PER_SECOND,
                confidence=float(min(max(segment.prob, 0.0), 1.0)),
            )
            for segment in decoder.seg() or ()
            if not _is_filler(segment.word)
        ]
        self._decode_s += time.perf_counter() - started
        self._state = RecognizerState.READY
        return SphinxResult(
            text=" ".join(word.text for word in words),
            words=words,
            audio_s=self._samples / SAMPLE_RATE,
            decode_s=self._decode_s,
        )

    def close(self) -> None:
        """Abandon any utterance in progress and return the decoder to the pool. Idempotent."""
        if self._state is RecognizerState.CLOSED:
            return
        decoder, self._decoder = self._decoder, None
        if decoder is not None:
            if self._state is RecognizerState.LISTENING:
                decoder.end_utt()
            self._pool.release(decoder)
        self._state = RecognizerState.CLOSED

    def _listening_decoder(self, operation: str) -> pocketsphinx.Decoder:
        if self._state is not RecognizerState.LISTENING or self._decoder is None:
            raise RuntimeError(f"{operation} needs a started utterance; the recognizer is {self._state.name}")
        return self._decoder
