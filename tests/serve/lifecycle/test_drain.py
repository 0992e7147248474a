"""Graceful shutdown, one step below test_durability.py's SIGTERM test: requests in flight are
counted, once a drain begins every new request gets 503 `shutting_down` with `Retry-After` and
`Connection: close` while the ones in flight finish, and the drain is done when none is left or
its time is up. The first exit signal starts a drain; a second one stops at once."""

from __future__ import annotations

import asyncio
import signal

import uvicorn

from serve.lifecycle.drain import Drain, DrainingServer, DrainMiddleware
from tests.serve.asgi import call, http_scope, run


class Held:
    """An app whose requests wait until released, so a test can look at them in flight."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.calls: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        self.calls.append(scope["type"])
        if scope["type"] != "http":
            return
        self.entered.set()
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})


class Ok:
    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def test_requests_in_flight_are_counted_until_they_end():
    drain = Drain()

    async def go() -> None:
        held = Held()
        app = DrainMiddleware(held, drain)
        first = asyncio.create_task(call(app, http_scope()))
        second = asyncio.create_task(call(app, http_scope()))
        await asyncio.wait_for(held.entered.wait(), 5)
        await asyncio.sleep(0)
        assert drain.in_flight == 2
        held.release.set()
        assert [a.status for a in await asyncio.gather(first, second)] == [200, 200]
        assert drain.in_flight == 0

    asyncio.run(go())


def test_a_request_that_fails_still_leaves_the_count():
    drain = Drain()

    async def broken(scope, receive, send) -> None:
        raise RuntimeError("boom")

    app = DrainMiddleware(broken, drain)
    try:
        run(app, http_scope())
    except RuntimeError:
        pass
    assert drain.in_flight == 0


def test_once_draining_new_requests_get_503_and_those_in_flight_finish():
    drain = Drain()

    async def go() -> None:
        held = Held()
        app = DrainMiddleware(held, drain)
        in_flight = asyncio.create_task(call(app, http_scope("POST", "/v1/chat/completions")))
        await held.entered.wait()
        drain.begin(30)
        refused = await asyncio.wait_for(call(app, http_scope("GET", "/health")), 5)
        assert refused.status == 503
        assert refused.header("retry-after") == "5"
        assert refused.header("connection") == "close"
        assert refused.error() == {"message": "This replica is shutting down; retry shortly.",
                                   "type": "service_unavailable", "param": None,
                                   "code": "shutting_down"}
        assert held.calls == ["http"], "the refused request never reached the app"
        assert not drain.done()
        held.release.set()
        finished = await in_flight
        assert (finished.status, finished.body) == (200, b"done")
        assert drain.done()

    asyncio.run(go())


def test_the_lifespan_still_reaches_the_app_while_draining():
    drain = Drain()
    drain.begin(30)
    held = Held()
    asyncio.run(DrainMiddleware(held, drain)({"type": "lifespan"}, None, None))
    assert held.calls == ["lifespan"]


def test_done_only_after_begin_when_nothing_is_left_or_time_is_up():
    drain = Drain()
    assert not drain.started and not drain.done()  # idle is not drained
    drain.in_flight = 1
    drain.begin(30)
    assert drain.started and not drain.done()
    drain.in_flight = 0
    assert drain.done()

    late = Drain()
    late.in_flight = 3
    late.begin(0)
    assert late.done(), "past the drain timeout the replica stops with requests in flight"


def test_a_second_begin_does_not_move_the_deadline():
    drain = Drain()
    drain.in_flight = 1
    drain.begin(0)
    drain.begin(3600)
    assert drain.done()


def test_the_first_exit_signal_drains_and_a_second_stops_at_once():
    drain = Drain()
    drain.in_flight = 1
    server = DrainingServer(uvicorn.Config(Ok()), drain, drain_timeout_s=30)
    server.handle_exit(signal.SIGTERM, None)
    assert drain.started and not server.should_exit and not server.force_exit
    assert asyncio.run(server.on_tick(1)) is False  # a request is still in flight
    server.handle_exit(signal.SIGTERM, None)
    assert server.should_exit and server.force_exit


def test_the_server_exits_once_the_drain_is_done():
    drain = Drain()
    server = DrainingServer(uvicorn.Config(Ok()), drain, drain_timeout_s=30)
    assert asyncio.run(server.on_tick(1)) is False  # not draining: keeps serving
    server.handle_exit(signal.SIGINT, None)
    assert asyncio.run(server.on_tick(1)) is True and server.should_exit
