"""``python -m pipeline.server.drain``: the Kubernetes preStop hook. Asks the server in this pod to drain
(``POST /drain`` on loopback) and waits until it has stopped answering or ``--wait`` seconds have passed."""

from __future__ import annotations

import argparse
import http.client
import sys
import time


def _request(port: int, method: str, path: str) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request(method, path)
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.server.drain")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--wait", type=float, default=300.0, help="seconds to wait for the drain to finish")
    args = parser.parse_args(argv)
    if _request(args.port, "POST", "/drain") is None:
        return 0  # not running
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline and _request(args.port, "GET", "/healthz") is not None:
        time.sleep(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
