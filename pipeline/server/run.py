"""Running the server: uvicorn, one worker process or a pre-fork of N, with a graceful drain on SIGTERM.

uvicorn's own shutdown closes WebSockets at once (code 1012); a call must not be cut like that, so each worker
runs ``DrainingServer``: the first SIGTERM/SIGINT starts the drain (no new calls, ``/readyz`` 503, calls in
progress go on up to the drain deadline) and the server exits when it is over; a second signal exits at once.
``--workers N`` is a pre-fork of our own (uvicorn's supervisor would give its workers uvicorn's default signal
handling): the parent binds the socket, starts N spawned workers that share it, and forwards SIGTERM to them.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
from types import FrameType

import uvicorn
from starlette.applications import Starlette

from pipeline.server import redact
from pipeline.server.app import ServerContext, create_app
from pipeline.server.gc_tuning import GcMode, configure_gc
from pipeline.server.lifecycle import ServerLifecycle, ServerPhase
from pipeline.server.options import OPTIONS_ENV, ServeOptions
from pipeline.session.pipeline import Pipeline

log = logging.getLogger("parley.server")
PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies
WS_SIZE_SLACK = 1024  # uvicorn's own frame limit sits just above ours, so our check (and close reason) wins


def build_app(options: ServeOptions) -> Starlette:
    """The app for ``options`` with the pipeline built from its config (and the route plug-ins)."""
    from pipeline.server.plugins import background_tasks, extra_route_factories, metrics_app, observe

    pipeline = Pipeline.from_config(options.config)
    observe(pipeline)  # logging in this worker, call records
    return create_app(
        pipeline,
        options,
        extra_routes=extra_route_factories(),
        metrics_app=metrics_app(),
        background=background_tasks(),
    )


class DrainingServer(uvicorn.Server):
    """A uvicorn server whose first exit signal drains the calls instead of closing them."""

    def __init__(self, config: uvicorn.Config, lifecycle: ServerLifecycle) -> None:
        super().__init__(config)
        self._lifecycle = lifecycle
        lifecycle.on_stopped = self._drained

    def _drained(self) -> None:
        self.should_exit = True

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """The first signal drains; SIGTERM again (the preStop hook's drain, then the kubelet's SIGTERM) changes
        nothing; SIGINT during a drain exits at once."""
        if self._lifecycle.phase is ServerPhase.SERVING and not self.should_exit:
            log.info("signal %d: draining (deadline %.0f s)", sig, self._lifecycle.drain_deadline)
            self._lifecycle.request_drain()
            return
        if sig == signal.SIGTERM and not self.should_exit:
            return
        super().handle_exit(sig, frame)


def _config(app: Starlette, options: ServeOptions) -> uvicorn.Config:
    config = uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        ws_max_size=options.max_message_bytes + WS_SIZE_SLACK,
        lifespan="on",
        timeout_graceful_shutdown=5,
        log_level="info",
        access_log=False,
    )
    redact.install()  # after uvicorn configured its loggers: a ?token= in a logged path is redacted
    return config


def _context(app: Starlette) -> ServerContext:
    context = app.state.context
    assert isinstance(context, ServerContext)
    return context


def serve(options: ServeOptions) -> None:
    """Serve until drained (blocking)."""
    if options.workers <= 1:
        app = build_app(options)
        configure_gc(GcMode(options.gc))  # start-up is over: freeze what exists, collect the young less often
        DrainingServer(_config(app, options), _context(app).lifecycle).run()
        return
    sock = _config(Starlette(), options).bind_socket()
    os.environ[OPTIONS_ENV] = options.to_env()  # the workers read their options (never the token) here
    metrics_dir = tempfile.mkdtemp(prefix="parley-metrics-")  # /metrics of any worker sums all live workers
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", metrics_dir)
    spawn = multiprocessing.get_context("spawn")
    workers = [
        spawn.Process(target=_worker, args=(sock, os.getpid()), daemon=False) for _ in range(options.workers)
    ]
    for worker in workers:
        worker.start()
    log.info("parent %d: %d workers on %s:%d", os.getpid(), len(workers), options.host, options.port)

    def forward(sig: int, frame: FrameType | None) -> None:
        for worker in workers:
            if worker.pid is not None and worker.is_alive():
                os.kill(worker.pid, sig)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for worker in workers:
        worker.join()
    sock.close()
    shutil.rmtree(metrics_dir, ignore_errors=True)


def _worker(sock: socket.socket, parent: int) -> None:
    _drain_when_orphaned(
        parent
    )  # from the start: a parent killed while this worker still loads must count too
    options = ServeOptions.from_env()
    app = build_app(options)
    configure_gc(GcMode(options.gc))
    lifecycle = _context(app).lifecycle
    lifecycle.drain_everywhere = lambda: os.kill(parent, signal.SIGTERM)  # POST /drain drains every worker
    DrainingServer(_config(app, options), lifecycle).run(sockets=[sock])


def _drain_when_orphaned(parent: int) -> None:
    """If the parent dies without forwarding a signal (SIGKILL, the OOM killer), the kernel sends this worker
    SIGTERM (Linux ``PR_SET_PDEATHSIG``): it drains and exits rather than serve on as an orphan holding the port.
    Elsewhere a worker outlives a killed parent."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)
