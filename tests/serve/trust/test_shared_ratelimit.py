"""Rate limits counted in one Redis (a real server): two replicas see the same numbers. Each
limiter below stands for a replica; the app test runs two API replicas (fake engines, the real
PostgreSQL and Redis) with one key, whose (N+1)th request is refused whichever replica it
reaches; a Redis that does not answer admits and says so."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from serve.api.errors import RateLimited
from serve.config.settings import Settings
from serve.trust.shared_ratelimit import SharedRateLimiter, limits_url
from tests.keys import app_client
from tests.serve.fake_engine import FakeEngine
from tests.serve.trust.test_auth import CHAT, bearer, make_key


def test_lucids_redis_urls_become_limits_schemes():
    assert limits_url("redis://cache:6379/1") == "async+redis://cache:6379/1"
    assert limits_url("rediss://cache:6380") == "async+rediss://cache:6380"
    assert limits_url("redis+socket:///tmp/r.sock") == "async+redis+unix:///tmp/r.sock"
    with pytest.raises(ValueError, match="not a Redis URL"):
        limits_url("memcached://x")


def test_two_replicas_count_one_keys_requests_and_tokens_together(broker_url):
    async def go() -> None:
        key = f"k-{uuid.uuid4().hex}"
        a, b = SharedRateLimiter(broker_url), SharedRateLimiter(broker_url)
        for replica in (a, b, a):
            await replica.check(key, 3, None)
        for replica in (a, b):
            with pytest.raises(RateLimited) as refused:
                await replica.check(key, 3, None)
            assert refused.value.type == "requests"
            assert 55 <= int(refused.value.headers["Retry-After"]) <= 60
        await a.check(f"k-{uuid.uuid4().hex}", 3, None)  # another key counts on its own
        spender = f"k-{uuid.uuid4().hex}"
        await a.check(spender, None, 100)
        a.spend(spender, 70, 100)
        await a.settle()
        await b.check(spender, None, 100)  # 70 of 100: room left
        b.spend(spender, 500, 100)  # over the limit: the window fills up
        await b.settle()
        with pytest.raises(RateLimited) as refused:
            await a.check(spender, None, 100)
        assert refused.value.type == "tokens"

    asyncio.run(go())


def test_a_store_that_does_not_answer_admits_and_counts_the_failure():
    async def go() -> None:
        down = SharedRateLimiter("redis://127.0.0.1:9/0")  # nothing listens on port 9
        for _ in range(3):
            await down.check("k", 1, 10)
        down.spend("k", 5, 10)
        await down.settle()
        assert down.failures == 4

    asyncio.run(go())


def test_the_n_plus_first_request_is_refused_whichever_replica_it_reaches(database_url,
                                                                         broker_url, tmp_path):
    settings = Settings(database_url=database_url, var_dir=tmp_path, model="base-model",
                        rate_limit_store=broker_url)
    with app_client(settings, FakeEngine()) as one, app_client(settings, FakeEngine()) as two:
        key = make_key(one, scopes=["chat"], rpm=3)
        codes = [replica.post("/v1/chat/completions", json=CHAT, headers=bearer(key))
                 .status_code for replica in (one, two, one)]
        assert codes == [200, 200, 200]
        for replica in (two, one):
            refused = replica.post("/v1/chat/completions", json=CHAT, headers=bearer(key))
            assert refused.status_code == 429 and refused.headers["retry-after"], refused.text
            assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    unshared = Settings(database_url=database_url, var_dir=tmp_path, model="base-model")
    with app_client(unshared, FakeEngine()) as one, app_client(unshared, FakeEngine()) as two:
        key = make_key(one, scopes=["chat"], rpm=1)  # per replica: one each
        assert [r.post("/v1/chat/completions", json=CHAT, headers=bearer(key)).status_code
                for r in (one, two)] == [200, 200]
