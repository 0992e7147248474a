"""Per-key requests and tokens per minute, on an injected clock: a key's own limits override the
server's defaults, a refused request is not counted against the key, `Retry-After` says the whole
seconds until there is room (at least 1), and tokens count once an answer has spent them. The
sliding of the window itself is test_auth.py's `test_the_limiter_slides_its_window`."""

from __future__ import annotations

import pytest

from serve.api.errors import RateLimited
from serve.trust.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def refused(limiter: RateLimiter, key: str = "k", rpm: int | None = None,
            tpm: int | None = None) -> RateLimited:
    with pytest.raises(RateLimited) as raised:
        limiter.admit(key, rpm, tpm)
    return raised.value


def test_without_any_limit_every_request_is_admitted(clock):
    limiter = RateLimiter(clock=clock)
    for _ in range(1000):
        limiter.admit("k", None, None)
    limiter.spend("k", 10**9)
    limiter.admit("k", None, None)


def test_a_keys_own_rpm_overrides_the_default(clock):
    limiter = RateLimiter(default_rpm=5, clock=clock)
    limiter.admit("strict", 1, None)
    error = refused(limiter, "strict", rpm=1)
    assert "1 requests per minute" in error.message
    for _ in range(5):
        limiter.admit("loose", None, None)
    assert "5 requests per minute" in refused(limiter, "loose").message
    for _ in range(10):
        limiter.admit("generous", 10, None)  # above the default: the key's own limit


def test_a_refused_request_is_not_counted(clock):
    limiter = RateLimiter(default_rpm=1, clock=clock)
    limiter.admit("k", None, None)
    clock.now += 10
    refused(limiter)
    clock.now += 10
    refused(limiter)
    clock.now = 1060.0  # the one admitted request leaves the window; the refusals never entered
    limiter.admit("k", None, None)


def test_the_429_says_when_to_retry_in_whole_seconds_at_least_one(clock):
    limiter = RateLimiter(default_rpm=1, clock=clock)
    limiter.admit("k", None, None)
    clock.now += 0.5
    error = refused(limiter)
    assert (error.status, error.type, error.code) == (429, "requests", "rate_limit_exceeded")
    assert error.headers == {"Retry-After": "60"}  # 59.5 s, rounded up
    assert "Retry after 60 s." in error.message
    clock.now = 1059.9
    assert refused(limiter).headers["Retry-After"] == "1"  # 0.1 s: never 0


def test_a_keys_own_tpm_counts_its_spending_without_a_default(clock):
    limiter = RateLimiter(clock=clock)
    limiter.admit("k", None, 10)
    limiter.spend("k", 4)
    limiter.admit("k", None, 10)  # 4 of 10 spent
    limiter.spend("k", 6)
    error = refused(limiter, tpm=10)
    assert (error.status, error.type) == (429, "tokens")
    assert "10 tokens per minute" in error.message
    assert error.headers["Retry-After"] == "60"
    limiter.admit("other", None, 10)  # another key's spending is its own


def test_the_token_wait_is_until_enough_of_the_oldest_spending_has_left(clock):
    limiter = RateLimiter(default_tpm=100, clock=clock)
    limiter.admit("k", None, None)
    limiter.spend("k", 10)  # at 1000
    clock.now = 1010.0
    limiter.spend("k", 50)  # at 1010
    clock.now = 1020.0
    limiter.spend("k", 60)  # at 1020: 120 spent, 20 over the limit
    # The 10 leaving at 1060 are not enough; once the 50 leave at 1070 there is room.
    assert refused(limiter).headers["Retry-After"] == "50"
    clock.now = 1060.0
    refused(limiter)
    clock.now = 1070.0
    limiter.admit("k", None, None)


def test_zero_or_negative_spending_changes_nothing(clock):
    limiter = RateLimiter(default_tpm=1, clock=clock)
    limiter.admit("k", None, None)
    limiter.spend("k", 0)
    limiter.spend("k", -5)
    limiter.admit("k", None, None)
    limiter.spend("k", 1)
    refused(limiter)
