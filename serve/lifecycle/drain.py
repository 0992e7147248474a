"""Graceful shutdown: on SIGTERM a replica stops taking requests but finishes the ones it has.

The first SIGTERM (or Ctrl-C) starts a drain: every new request, `/health` included (so a load
balancer takes the replica out), gets 503 with `Retry-After` and `Connection: close`, while
requests and streams in flight run to their end. When none is left, or `drain_timeout_s` has
passed, uvicorn is told to exit (its own graceful shutdown then closes the listener and waits at
most `timeout_graceful_shutdown` more). A second signal stops at once.
"""

from __future__ import annotations

import logging
import time

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from serve.api.errors import ShuttingDown, send_error

log = logging.getLogger(__name__)


class Drain:
    """In-flight request count and the drain's state, shared by the middleware and the server."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.deadline: float | None = None

    @property
    def started(self) -> bool:
        return self.deadline is not None

    def begin(self, timeout_s: float) -> None:
        if self.deadline is None:
            self.deadline = time.monotonic() + timeout_s
            log.info("draining: %d requests in flight, new ones get 503", self.in_flight)

    def done(self) -> bool:
        return self.started and (self.in_flight == 0 or time.monotonic() >= self.deadline)


class DrainMiddleware:
    def __init__(self, app: ASGIApp, drain: Drain) -> None:
        self.app, self.drain = app, drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.drain.started:
            await send_error(send, ShuttingDown())
            return
        self.drain.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.drain.in_flight -= 1


class DrainingServer(uvicorn.Server):
    """uvicorn, with the first exit signal starting a drain instead of stopping."""

    def __init__(self, config: uvicorn.Config, drain: Drain, drain_timeout_s: float) -> None:
        super().__init__(config)
        self.drain, self.drain_timeout_s = drain, drain_timeout_s

    def handle_exit(self, sig: int, frame: object) -> None:
        if self.drain.started:  # a second signal: stop now
            self.force_exit = True
            super().handle_exit(sig, frame)
            return
        # uvicorn re-raises the signals it caught once it has stopped, so that whoever started
        # it (the `make run` launcher) stops its child processes as well.
        self._captured_signals.append(sig)
        self.drain.begin(self.drain_timeout_s)

    async def on_tick(self, counter: int) -> bool:
        if self.drain.done():
            self.should_exit = True
        return await super().on_tick(counter)
