"""Loaded by every Python process started with this folder on PYTHONPATH: an audit hook that refuses (and logs to
``$PARLEY_NETWORK_GUARD_LOG``) any non-loopback connect, send or DNS lookup made through Python's socket module.

It cannot see native code (onnxruntime's telemetry resolves its host in C++): tests/test_offline.py also runs the
call under strace for that.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from typing import Any

LOG = os.environ.get("PARLEY_NETWORK_GUARD_LOG")
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_loopback_host(host: Any) -> bool:
    if host is None:  # getaddrinfo(None, port): a wildcard for bind, not a lookup
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    if host.lower() in LOOPBACK_NAMES or host == "":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a name to resolve: a DNS lookup


def _is_loopback_address(address: Any) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX path
        return True
    if isinstance(address, tuple) and address:
        return _is_loopback_host(address[0])
    return False


def _refuse(event: str, what: Any) -> None:
    message = f"network guard: {event} {what!r} refused (pid {os.getpid()})"
    if LOG:
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(message + "\n")
    raise OSError(message)


LOOKUPS = ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr")


def _guard(event: str, args: tuple[Any, ...]) -> None:
    if event in ("socket.connect", "socket.sendto"):
        family = getattr(args[0], "family", None)
        if family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback_address(args[1]):
            _refuse(event, args[1])
    elif event in LOOKUPS and not _is_loopback_host(args[0]):
        _refuse(event, args[0])


sys.addaudithook(_guard)
