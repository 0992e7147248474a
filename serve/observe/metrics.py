"""Prometheus metrics of an API replica, rendered for `GET /metrics` in the text format.

Chat metrics live in prometheus-client's default registry and are only incremented or observed
on the chat path. What is state rather than traffic is read at scrape time: the active adapter
from the hot-swap's in-memory state, learning runs and gate results with one query through the
API's pool. Each replica is one uvicorn process with no `--workers`, so the default registry is
the whole replica's truth and prometheus-client's multiprocess mode is not needed.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import (
    REGISTRY,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric

from store.runs import AsyncRunStore
from store.sessions import TurnRecord

log = logging.getLogger(__name__)

UNKNOWN_MODEL = "unknown"  # the label of model names that do not exist (bounded cardinality)
STATS_TIMEOUT_S = 5.0  # a scrape gives up on the database after this long
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
TTFT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
RUN_BUCKETS = (60, 300, 600, 1800, 3600, 7200, 14400, 28800)
RUN_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
GATE_SCORES = ("heldout_accuracy", "regression_accuracy", "perplexity")

disable_created_metrics()  # no `*_created` series beside every counter and histogram

CHAT_REQUESTS = Counter(
    "lucid_chat_requests", "Chat completion requests by model name asked, HTTP status, streaming.",
    ["model", "status", "stream"])
ERRORS = Counter(
    "lucid_api_errors", "Errors sent to clients (responses and stream error events), by OpenAI "
    "error type and code.", ["type", "code"])
LATENCY = Histogram(
    "lucid_chat_request_duration_seconds", "Arrival to the last token of a completed chat "
    "response (the session log's latency_ms).", ["model"], buckets=LATENCY_BUCKETS)
TTFT = Histogram(
    "lucid_chat_time_to_first_token_seconds", "Arrival to the first content token (the whole "
    "answer when not streaming).", ["model"], buckets=TTFT_BUCKETS)
PROMPT_TOKENS = Counter("lucid_chat_prompt_tokens", "Prompt tokens, as the engine counted them.",
                        ["model"])
COMPLETION_TOKENS = Counter("lucid_chat_completion_tokens", "Completion tokens generated.",
                            ["model"])


def count_chat_request(model: str, status: int, stream: bool) -> None:
    CHAT_REQUESTS.labels(model, str(status), "true" if stream else "false").inc()


def count_error(type_: str, code: str | None) -> None:
    ERRORS.labels(type_, code or "").inc()


def observe_turn(turn: TurnRecord) -> None:
    """A served chat turn (completed or aborted), labelled by the model name it asked for."""
    model = turn.model_requested
    if turn.status == "completed":
        LATENCY.labels(model).observe(turn.latency_ms / 1000)
    if turn.ttft_ms is not None:
        TTFT.labels(model).observe(turn.ttft_ms / 1000)
    if turn.prompt_tokens:
        PROMPT_TOKENS.labels(model).inc(turn.prompt_tokens)
    if turn.completion_tokens:
        COMPLETION_TOKENS.labels(model).inc(turn.completion_tokens)


class _Families:
    """A one-scrape collector: `generate_latest` only needs `collect()`."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


class Scraper:
    """Renders /metrics: the process's counters, plus state read now."""

    def __init__(self, runs: AsyncRunStore, serving: Callable[[], dict[str, str]]) -> None:
        self.runs = runs
        self.serving = serving  # tenant name -> the model its `lucid` runs on now

    async def render(self) -> bytes:
        families = self._adapter()
        try:
            stats = await asyncio.wait_for(self.runs.stats(), STATS_TIMEOUT_S)
        except Exception:  # the database is down: chat metrics still come out
            log.warning("metrics: could not read learning runs", exc_info=True)
            up = 0
        else:
            families += learning_families(stats)
            up = 1
        families.append(GaugeMetricFamily(
            "lucid_store_up", "1 when this scrape could read learning runs from PostgreSQL.", up))
        return generate_latest(REGISTRY) + generate_latest(_Families(families))

    def _adapter(self) -> list[Metric]:
        active = GaugeMetricFamily(
            "lucid_adapter_active", "The version serving as `lucid` for the tenant, as this "
            "replica sees it (the base model's id while none is promoted).",
            labels=["tenant", "version"])
        for tenant, model in sorted(self.serving().items()):
            active.add_metric([tenant, model], 1)
        return [active]


def learning_families(stats: dict[str, Any]) -> list[Metric]:
    """Metric families from `AsyncRunStore.stats()`."""
    by_status = stats["by_status"] or {}
    runs = GaugeMetricFamily("lucid_learning_runs", "Learning runs by status.", labels=["status"])
    for status in RUN_STATUSES:
        runs.add_metric([status], by_status.get(status, 0))
    queue = GaugeMetricFamily("lucid_learning_queue_depth", "Learning runs queued, not started.",
                              by_status.get("queued", 0))
    durations = HistogramMetricFamily(
        "lucid_learning_run_duration_seconds", "Start to finish of finished learning runs.",
        labels=["status"])
    for status, seconds in sorted((stats["durations"] or {}).items()):
        ordered = sorted(seconds)
        buckets = [(str(float(le)), bisect.bisect_right(ordered, le)) for le in RUN_BUCKETS]
        durations.add_metric([status], [*buckets, ("+Inf", len(ordered))], sum(ordered))
    stages = GaugeMetricFamily(
        "lucid_learning_last_run_stage_seconds", "The last finished run: waiting in the queue, "
        "training (distill) and start to finish.", labels=["stage"])
    last = stats["last_run"]
    if last:
        for stage in ("queued", "train", "total"):
            if last.get(stage) is not None:
                stages.add_metric([stage], last[stage])
    families: list[Metric] = [runs, queue, durations, stages]
    if stats["last_success"] is not None:
        families.append(GaugeMetricFamily(
            "lucid_learning_last_success_timestamp_seconds",
            "When a learning run last succeeded (Unix time).", stats["last_success"]))
    return families + gate_families(stats["last_gate"])


def gate_families(gate: dict[str, Any] | None) -> list[Metric]:
    """The gate's scores of the newest gated version: the candidate's and the serving one's."""
    families = {score: GaugeMetricFamily(
        f"lucid_gate_{score}", f"Gate: {score.replace('_', ' ')} of the newest gated version "
        "(measured=candidate) and of what served then (measured=current).",
        labels=["version", "measured"]) for score in GATE_SCORES}
    passed = GaugeMetricFamily("lucid_gate_passed", "1 if the newest gated version passed.",
                               labels=["version"])
    if gate:
        for measured in ("candidate", "current"):
            for score, value in (gate.get(measured) or {}).items():
                if score in families and value is not None:
                    families[score].add_metric([gate["name"], measured], value)
        if gate.get("passed") is not None:
            passed.add_metric([gate["name"]], 1 if gate["passed"] else 0)
    return [*families.values(), passed]
