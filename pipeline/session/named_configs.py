"""The configs shipped inside the package (``pipeline/configs/*.yaml``), loadable by name: ``local`` (the offline
default), ``cloud``, ``openai-compatible``. In a checkout, ``configs/`` is a link to that folder."""

from __future__ import annotations

import re
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
DEFAULT_CONFIG = "local"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def packaged_config_names() -> list[str]:
    """The names of the shipped configs, sorted."""
    return sorted(path.stem for path in CONFIG_DIR.glob("*.yaml"))


def packaged_config(name: str) -> Path | None:
    """The shipped config called ``name``, or None."""
    if not _NAME.fullmatch(name):
        return None
    path = CONFIG_DIR / f"{name}.yaml"
    return path if path.is_file() else None


def config_file(source: str | Path) -> Path:
    """A config path as given when that file exists, else the shipped config of that name, else ``source`` as a
    path (reading it then reports the missing file)."""
    path = Path(source)
    if path.is_file():
        return path
    packaged = packaged_config(str(source)) if isinstance(source, str) else None
    return packaged if packaged is not None else path
