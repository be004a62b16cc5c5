"""Raw ctypes binding to libespeak-ng (the copy shipped by the ``espeakng-loader`` wheel).

Only the slice of ``speak_lib.h`` that Parley needs: initialise in synchronous retrieval mode, install the
synth callback, choose a voice, set parameters, synthesize, list voices. Everything here is a thin, typed
wrapper; policy (locking, validation, word timings) lives in :mod:`providers.local.espeak_engine`.

The library is process-global and not thread-safe: create at most one :class:`EspeakLibrary` per process and
serialise every call on it.
"""

from __future__ import annotations

import ctypes
import enum
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import espeakng_loader

# espeak_AUDIO_OUTPUT: synchronous retrieval, espeak_Synth returns after the last callback.
AUDIO_OUTPUT_SYNCHRONOUS = 2
# espeak_POSITION_TYPE
POS_CHARACTER = 1
# espeak_Synth flags
CHARS_UTF8 = 1
# espeak_Initialize option: do not exit() the process if the data directory is missing.
INITIALIZE_DONT_EXIT = 0x8000

RATE_MINIMUM_WPM = 80  # espeakRATE_MINIMUM
RATE_MAXIMUM_WPM = 450  # espeakRATE_MAXIMUM


class EventType(enum.IntEnum):
    """espeak_EVENT_TYPE."""

    LIST_TERMINATED = 0
    WORD = 1
    SENTENCE = 2
    MARK = 3
    PLAY = 4
    END = 5
    MSG_TERMINATED = 6
    PHONEME = 7
    SAMPLERATE = 8


class Parameter(enum.IntEnum):
    """espeak_PARAMETER (the ones Parley sets)."""

    RATE = 1
    VOLUME = 2
    PITCH = 3
    RANGE = 4


class Status(enum.IntEnum):
    """espeak_ERROR."""

    OK = 0
    INTERNAL_ERROR = -1
    BUFFER_FULL = 1
    NOT_FOUND = 2


class _EventId(ctypes.Union):
    _fields_ = (
        ("number", ctypes.c_int),
        ("name", ctypes.c_char_p),
        ("string", ctypes.c_char * 8),
    )


class EspeakEvent(ctypes.Structure):
    """espeak_EVENT, field for field (40 bytes on LP64)."""

    _fields_ = (
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # 1-based, in characters (code points) of the input
        ("length", ctypes.c_int),  # word length in characters, WORD events only
        ("audio_position", ctypes.c_int),  # ms from the start of this message's audio
        ("sample", ctypes.c_int),  # internal sample counter
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    )


class _EspeakVoice(ctypes.Structure):
    """espeak_VOICE."""

    _fields_ = (
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # priority byte + zero-terminated name, repeated; ends with a zero
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    )


# int SynthCallback(short *wav, int numsamples, espeak_EVENT *events)
SynthCallbackType = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(EspeakEvent)
)

# Python-side synth callback: (short* wav, sample count, espeak_EVENT* events) -> 0 continue / 1 abort.
RawSynthCallback = Callable[[Any, int, Any], int]


@dataclass(frozen=True, slots=True)
class VoiceInfo:
    """One entry of espeak-ng's voice table."""

    name: str
    identifier: str
    languages: tuple[str, ...]


def _decode_languages(address: int | None) -> tuple[str, ...]:
    """Parse espeak_VOICE.languages: (priority byte, zero-terminated name)*, then a zero byte."""
    if not address:
        return ()
    languages: list[str] = []
    offset = 0
    while ctypes.c_ubyte.from_address(address + offset).value != 0:
        name = ctypes.string_at(address + offset + 1)
        languages.append(name.decode("utf-8", "replace"))
        offset += 1 + len(name) + 1
    return tuple(languages)


def find_voice(voices: list[VoiceInfo], wanted: str) -> VoiceInfo | None:
    """Find a voice by name, identifier (``gmw/en-US`` or ``en-US``) or language code, ignoring case and any
    ``+variant`` suffix.

    For a language, a voice whose main language it is wins over one that merely lists it.
    """
    key = wanted.partition("+")[0].strip().casefold()
    for voice in voices:
        identifier = voice.identifier.casefold()
        if key in (voice.name.casefold(), identifier, identifier.rsplit("/", 1)[-1]):
            return voice
    speakers = [voice for voice in voices if key in (language.casefold() for language in voice.languages)]
    for voice in speakers:
        if voice.languages[0].casefold() == key:
            return voice
    return speakers[0] if speakers else None


class EspeakLibrary:
    """Typed access to the libespeak-ng functions Parley uses."""

    def __init__(self, library_path: str | None = None) -> None:
        lib = ctypes.CDLL(library_path or espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int)
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = (SynthCallbackType,)
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = (ctypes.c_char_p,)
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int)
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = (
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.POINTER(ctypes.c_uint),
            ctypes.c_void_p,
        )
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = (ctypes.c_void_p,)
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_EspeakVoice))
        lib.espeak_Info.argtypes = (ctypes.c_void_p,)
        lib.espeak_Info.restype = ctypes.c_char_p
        self._lib = lib
        self.data_path: str = espeakng_loader.get_data_path()
        self._callback: object | None = None  # the C function pointer must stay alive while installed

    def initialize(self, buffer_ms: int = 60) -> int:
        """espeak_Initialize in synchronous retrieval mode; returns the native sample rate in Hz."""
        path = self.data_path.encode()
        rate = self._lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, buffer_ms, path, INITIALIZE_DONT_EXIT)
        if rate <= 0:
            raise RuntimeError(
                f"espeak_Initialize failed (returned {rate}) with data path {self.data_path!r}"
            )
        return int(rate)

    def has_variant(self, variant: str) -> bool:
        """Whether ``voices/!v/<variant>`` exists (espeak-ng silently ignores unknown variants)."""
        variants = Path(self.data_path, "voices", "!v")
        return "/" not in variant and (variants / variant).is_file()

    def set_synth_callback(self, callback: RawSynthCallback) -> None:
        wrapped = SynthCallbackType(callback)
        self._lib.espeak_SetSynthCallback(wrapped)
        self._callback = wrapped

    def set_voice_by_name(self, name: str) -> Status:
        return Status(self._lib.espeak_SetVoiceByName(name.encode()))

    def set_parameter(self, parameter: Parameter, value: int) -> Status:
        return Status(self._lib.espeak_SetParameter(int(parameter), value, 0))

    def synth(self, text: str) -> Status:
        """Synthesize UTF-8 text (no SSML, no phoneme input); blocks until the last callback returned."""
        data = text.encode("utf-8") + b"\0"
        return Status(self._lib.espeak_Synth(data, len(data), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None))

    def list_voices(self) -> list[VoiceInfo]:
        table = self._lib.espeak_ListVoices(None)
        voices: list[VoiceInfo] = []
        index = 0
        while table and table[index]:
            entry = table[index].contents
            voices.append(
                VoiceInfo(
                    name=(entry.name or b"").decode("utf-8", "replace"),
                    identifier=(entry.identifier or b"").decode("utf-8", "replace"),
                    languages=_decode_languages(entry.languages),
                )
            )
            index += 1
        return voices

    def version(self) -> str:
        return (self._lib.espeak_Info(None) or b"").decode()
