"""Optional extras: the features a plain ``pip install parley`` leaves out, and the one error that says which
extra to install when one of them is used without it.

    require_extra("phone", "the telephony transports")  # raises MissingExtraError naming parley[phone]
"""

from __future__ import annotations

import importlib.util

# extra -> the top-level modules it installs (pyproject.toml [project.optional-dependencies])
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "phone": ("twilio", "plivo", "telnyx", "nacl"),  # twilio, plivo, telnyx, pynacl (Telnyx Ed25519 webhooks)
    "postgres": ("asyncpg",),
}


class MissingExtraError(ImportError):
    """A feature was used without the extra that installs its packages."""

    def __init__(self, extra: str, feature: str, missing: str) -> None:
        super().__init__(
            f"{feature} need the {extra!r} extra ({missing} is not installed): pip install 'parley[{extra}]'",
            name=missing,
        )
        self.extra = extra
        self.feature = feature
        self.missing = missing


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a finder that refuses the name
        return False


def missing_modules(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here (empty when the extra is installed)."""
    return [module for module in EXTRA_MODULES[extra] if not _installed(module)]


def require_extra(extra: str, feature: str) -> None:
    """Raise MissingExtraError (an ImportError naming ``pip install 'parley[<extra>]'``) unless every package of
    ``extra`` is installed. ``feature`` says what needs it, plural: "the telephony transports"."""
    missing = missing_modules(extra)
    if missing:
        raise MissingExtraError(extra, feature, missing[0])
