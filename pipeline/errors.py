"""Errors from inside task groups arrive wrapped in exception groups; the pipeline reports the root cause."""

from __future__ import annotations

from providers.errors import ProviderError


def root_cause(exc: BaseException) -> BaseException:
    """The ProviderError inside (possibly nested) exception groups, else the first leaf exception."""
    leaves = list(_leaves(exc))
    for leaf in leaves:
        if isinstance(leaf, ProviderError):
            return leaf
    return leaves[0] if leaves else exc


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]
