"""Per-key rate limits: requests and tokens per minute, over a sliding 60-second window.

A request is refused (429 with `Retry-After`, the seconds until the window has room again) when
the key already made `rpm` requests in the last minute, or its requests of the last minute used
`tpm` tokens (prompt + completion, counted when each answer ends). Counted in this replica's
memory: with N replicas behind a balancer a key gets up to N times its limits. Where that matters,
set `LUCID_RATE_LIMIT_STORE` and every replica counts in one Redis
(`serve.trust.shared_ratelimit`); this one is the embedded default's.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from serve.api.errors import RateLimited

WINDOW_S = 60.0


@dataclass
class _Window:
    requests: deque[float] = field(default_factory=deque)
    tokens: deque[tuple[float, int]] = field(default_factory=deque)
    token_sum: int = 0

    def expire(self, now: float) -> None:
        while self.requests and self.requests[0] <= now - WINDOW_S:
            self.requests.popleft()
        while self.tokens and self.tokens[0][0] <= now - WINDOW_S:
            self.token_sum -= self.tokens.popleft()[1]


class RateLimiter:
    def __init__(self, default_rpm: int | None = None, default_tpm: int | None = None,
                 clock=time.monotonic) -> None:
        self.default_rpm, self.default_tpm = default_rpm, default_tpm
        self.clock = clock
        self._windows: dict[str, _Window] = {}

    async def check(self, key_id: str, rpm: int | None, tpm: int | None) -> None:
        """`admit`, as the shared limiter's call is made (awaited)."""
        self.admit(key_id, rpm, tpm)

    def admit(self, key_id: str, rpm: int | None, tpm: int | None) -> None:
        """Count one request of `key_id`, or raise RateLimited without counting it."""
        rpm, tpm = rpm or self.default_rpm, tpm or self.default_tpm
        if rpm is None and tpm is None:
            return
        now = self.clock()
        window = self._windows.setdefault(key_id, _Window())
        window.expire(now)
        if rpm is not None and len(window.requests) >= rpm:
            raise RateLimited("requests", rpm, window.requests[0] + WINDOW_S - now)
        if tpm is not None and window.token_sum >= tpm:
            # Room again once enough of the oldest spending has left the window.
            over, wait = window.token_sum - tpm, 0.0
            for at, n in window.tokens:
                over -= n
                wait = at + WINDOW_S - now
                if over < 0:
                    break
            raise RateLimited("tokens", tpm, wait)
        window.requests.append(now)

    def spend(self, key_id: str, tokens: int, tpm: int | None = None) -> None:
        """Tokens a finished answer of `key_id` used (prompt + completion); `tpm`, the key's own
        limit, is the shared limiter's concern (this one keeps every key's spending)."""
        if tokens <= 0 or (self.default_tpm is None and key_id not in self._windows):
            return
        now = self.clock()
        window = self._windows.setdefault(key_id, _Window())
        window.tokens.append((now, tokens))
        window.token_sum += tokens
        window.expire(now)
