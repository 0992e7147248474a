"""Per-key rate limits counted where every API replica sees the same numbers: in Redis.

The in-process `RateLimiter` counts in one replica's memory, so N replicas behind a balancer let a
key through up to N times. With `LUCID_RATE_LIMIT_STORE` set (a Redis URL, e.g. the one the
deployment already runs for Celery), each replica counts in that Redis instead, with the `limits`
library's moving window (the same rule: at most `rpm` requests and `tpm` tokens in any 60
seconds). Requests count on admission; tokens count when an answer ends, and a request is refused
while the key's tokens of the last minute have reached its limit. A Redis that does not answer
does not stop chat: the request is admitted and the failure logged and counted.
"""

from __future__ import annotations

import asyncio
import logging
import time

from limits import RateLimitItemPerMinute
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from serve.api.errors import RateLimited

log = logging.getLogger(__name__)


def limits_url(url: str) -> str:
    """`limits`' async scheme for a Redis URL as Lucid's settings write it ("redis://",
    "rediss://", or Celery's "redis+socket://" for a Unix socket)."""
    if url.startswith("redis+socket://"):
        return "async+redis+unix://" + url.removeprefix("redis+socket://")
    if url.startswith(("redis://", "rediss://")):
        return "async+" + url
    if url.startswith("async+"):
        return url
    raise ValueError(f"not a Redis URL: {url!r}")


class SharedRateLimiter:
    """The limits of `serve.trust.ratelimit.RateLimiter`, counted in Redis."""

    def __init__(self, url: str, default_rpm: int | None = None,
                 default_tpm: int | None = None) -> None:
        self.default_rpm, self.default_tpm = default_rpm, default_tpm
        self.storage = RedisStorage(limits_url(url), implementation="redispy",
                                    key_prefix="lucid-rate")
        self.window = MovingWindowRateLimiter(self.storage)
        self.failures = 0
        self._spending: set[asyncio.Task] = set()

    async def check(self, key_id: str, rpm: int | None, tpm: int | None) -> None:
        """Count one request of `key_id`, or raise RateLimited without counting it."""
        rpm, tpm = rpm or self.default_rpm, tpm or self.default_tpm
        if rpm is None and tpm is None:
            return
        try:
            if tpm is not None:
                tokens = RateLimitItemPerMinute(tpm)
                if not await self.window.test(tokens, "tokens", key_id):
                    raise RateLimited("tokens", tpm, await self._wait(tokens, "tokens", key_id))
            if rpm is not None:
                requests = RateLimitItemPerMinute(rpm)
                if not await self.window.hit(requests, "requests", key_id):
                    raise RateLimited("requests", rpm,
                                      await self._wait(requests, "requests", key_id))
        except RateLimited:
            raise
        except Exception:  # the store is down: chat goes on, unlimited, and says so
            self.failures += 1
            log.warning("rate limit store unavailable; request admitted", exc_info=True)

    async def _wait(self, item: RateLimitItemPerMinute, *ids: str) -> float:
        stats = await self.window.get_window_stats(item, *ids)
        return stats.reset_time - time.time()

    def spend(self, key_id: str, tokens: int, tpm: int | None = None) -> None:
        """Tokens a finished answer of `key_id` used, counted in the background (the answer's
        end may not wait: a client that left has cancelled its request's scope)."""
        tpm = tpm or self.default_tpm
        if tokens <= 0 or tpm is None:
            return
        task = asyncio.get_running_loop().create_task(self._spend(key_id, tokens, tpm))
        self._spending.add(task)
        task.add_done_callback(self._spending.discard)

    async def _spend(self, key_id: str, tokens: int, tpm: int) -> None:
        item = RateLimitItemPerMinute(tpm)
        try:
            if not await self.window.hit(item, "tokens", key_id, cost=tokens):
                # More than the room left: fill the window, so the key waits its minute.
                room = (await self.window.get_window_stats(item, "tokens", key_id)).remaining
                if room > 0:
                    await self.window.hit(item, "tokens", key_id, cost=room)
        except Exception:
            self.failures += 1
            log.warning("rate limit store unavailable; tokens not counted", exc_info=True)

    async def settle(self) -> None:
        """Wait for the spending still being counted (tests, shutdown)."""
        if self._spending:
            await asyncio.gather(*self._spending, return_exceptions=True)
