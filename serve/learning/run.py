"""One learning run, stage by stage: collect -> insights -> dream -> distill -> gate -> promote.

Called by the Celery task `lucid.learn`. Every stage publishes its progress on the run row and is
safe to repeat: a re-delivered task re-derives what it had not stored. Nothing is promoted before
the gate passes, adapters are published whole (content-addressed) before a version row points at
them, and promotion is one transaction, so a crash never leaves a half-written adapter serving.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from distill.config import OPSDConfig
from distill.gate import GateConfig, Probe, evaluate_candidate
from distill.trainer import PracticeExample, train_opsd
from dream.config import DreamConfig
from dream.generator import Generator, HFGenerator
from dream.pipeline import dream_for_sessions
from serve.api.errors import AdapterAlreadyLoaded, APIError
from serve.config.settings import Settings
from serve.engine.generator import EngineGenerator
from serve.engine.sync import SyncEngine
from store.adapter_folders import publish, sweep
from store.adapters import AdapterStore
from store.db import open_pool
from store.runs import RunBusy, RunStore
from store.sessions import DEFAULT_TENANT_ID
from store.transcripts import transcript

log = logging.getLogger(__name__)


@dataclass
class LearningConfig:
    """Everything a run is configured with; saved on the run row. Overrides come from
    LUCID_LEARN_OVERRIDES as {"opsd": {...}, "dream": {...}, "gate": {...}}."""

    opsd: OPSDConfig = field(default_factory=OPSDConfig)
    dream: DreamConfig = field(default_factory=DreamConfig)
    gate: GateConfig = field(default_factory=GateConfig)

    @classmethod
    def from_overrides(cls, overrides: dict[str, dict]) -> LearningConfig:
        """Defaults with `overrides` applied; unknown sections or fields are an error."""
        unknown = set(overrides) - {"opsd", "dream", "gate"}
        if unknown:
            raise ValueError(f"unknown learning config sections: {sorted(unknown)}")
        gate = overrides.get("gate", {})
        extra = set(gate) - {f.name for f in fields(GateConfig)}
        if extra:
            raise ValueError(f"unknown GateConfig fields: {sorted(extra)}")
        opsd = {**OPSDConfig().to_dict(), **overrides.get("opsd", {})}
        return cls(opsd=OPSDConfig.from_dict(opsd),
                   dream=DreamConfig.from_dict({**DreamConfig().to_dict(),
                                                **overrides.get("dream", {})}),
                   gate=GateConfig(**gate))

    def to_dict(self) -> dict[str, Any]:
        return {"opsd": self.opsd.to_dict(), "dream": self.dream.to_dict(),
                "gate": asdict(self.gate)}


def _registry(settings: Settings, tenant_id: int, action):
    """Run one coroutine on the tenant's AdapterStore, on a short-lived pool (the worker is
    synchronous)."""
    async def go():
        pool = await open_pool(settings.database_url or "", 1)
        try:
            return await action(AdapterStore(pool, tenant_id))
        finally:
            await pool.close()

    return asyncio.run(go())


def _generator(settings: Settings) -> Generator:
    """vLLM when it answers (batched and fast), else transformers in this process."""
    if settings.engine_url:
        with SyncEngine(settings.engine_url) as engine:
            if engine.healthy():
                return EngineGenerator(settings.engine_url, settings.base_model_id)
    return HFGenerator(settings.model_path)


def _preload(settings: Settings, name: str, path: Path) -> None:
    """Have the engine load the candidate before promoting it: a refusal stops the promotion, and
    replicas then find it loaded (its name is fresh, so 'already loaded' means these weights)."""
    if not settings.engine_url:
        return
    with SyncEngine(settings.engine_url) as engine:
        try:
            engine.load_adapter(name, str(path))
        except AdapterAlreadyLoaded:
            pass
        except APIError as exc:
            raise RuntimeError(f"the engine refused {name}: {exc.message}") from exc


def run_learning(settings: Settings, run_id: int | None = None, trigger: str = "manual",
                 task_id: str | None = None, tenant_id: int = DEFAULT_TENANT_ID
                 ) -> dict[str, Any]:
    """Run `run_id` (its own tenant's), or a new run of `tenant_id`."""
    store = RunStore.connect(settings.database_url or "", tenant_id)
    try:
        if run_id is not None:
            store = store.for_tenant(store.tenant_of(run_id))
        else:
            run_id = store.create(trigger)
        try:
            store.claim(run_id, task_id)
        except RunBusy as exc:
            if store.get(run_id)["status"] == "queued":
                store.finish(run_id, "cancelled", error=str(exc))
            return {"run_id": run_id, "status": "skipped", "reason": str(exc)}
        try:
            metrics = _stages(settings, store, run_id)
        except Exception as exc:
            log.exception("learning run %s failed", run_id)
            store.finish(run_id, "failed", error=f"{type(exc).__name__}: {exc}")
            return {"run_id": run_id, "status": "failed", "error": str(exc)}
        finally:
            store.release()
        store.finish(run_id, "succeeded", metrics)
        return {"run_id": run_id, "status": "succeeded", **metrics}
    finally:
        store.close()


def _stages(settings: Settings, store: RunStore, run_id: int) -> dict[str, Any]:
    def registry(action):
        return _registry(settings, store.tenant_id, action)

    config = LearningConfig.from_overrides(settings.learn_overrides)
    store.set_config(run_id, config.to_dict())
    started = time.monotonic()

    store.progress(run_id, "collect")
    sessions = store.take_sessions(run_id, settings.learn_max_sessions)
    if not sessions:
        return {"sessions": 0, "sessions_consumed": True, "promoted": False,
                "note": "no new sessions to learn from"}
    transcripts = {str(s["id"]): transcript(store.transcript(s["id"])) for s in sessions}

    store.progress(run_id, "dream", sessions=len(sessions))
    generator = _generator(settings)
    earlier = store.earlier_insights(run_id)
    try:
        result = dream_for_sessions(transcripts, generator, config.dream,
                                    earlier=[row["text"] for row in earlier])
    finally:
        if isinstance(generator, EngineGenerator):
            generator.close()
    insight_ids = {}
    for session_id in result.insights.keys() | result.quarantined.keys():
        insight = result.insights.get(session_id)
        rows = [] if insight is None else [{"kind": insight.kind, "text": insight.text}]
        rows += [{**held, "status": "quarantined"} for held in
                 result.quarantined.get(session_id, [])]  # kept for review, never learned
        ids = store.replace_insights(run_id, session_id, rows)
        insight_ids[session_id] = ids[0] if insight is not None else None
    # Replayed items point at the earlier insight they came from: erasing its session then
    # deletes them too and taints what this run trains.
    replayed = {row["text"]: row["id"] for row in earlier}
    store.replace_practice(run_id, [
        {**item.as_row(), "insight_id": insight_ids.get(item.session_id) if item.session_id
         else replayed.get(item.context or "")}
        for item in result.items])
    train = [PracticeExample(item.prompt, item.context or "", item.checker,
                             tuple(item.teacher_answers)) for item in result.train_items()]
    heldout = [Probe(item.prompt, item.checker) for item in result.heldout_items()
               if item.checker]
    if not any(example.context for example in train):
        return {"sessions": len(sessions), "insights": 0, "sessions_consumed": True,
                "promoted": False, "note": "the sessions taught nothing to learn"}

    state = registry(lambda a: a.state())
    current = Path(state.active["path"]) if state.active else None  # what the gate beats
    # What the new weights start from: not a version that learned from erased sessions.
    base = registry(lambda a: a.training_base())
    start = Path(base["path"]) if base else None
    work = settings.adapters_dir / ".work" / f"run-{run_id}"
    shutil.rmtree(work, ignore_errors=True)
    sweep(settings.adapters_dir)

    def on_step(step: int, total: int, loss: float) -> None:
        store.progress(run_id, "distill", step=step, total=total, loss=round(loss, 5),
                       elapsed_s=round(time.monotonic() - started, 1))

    store.progress(run_id, "distill", step=0, total=config.opsd.total_steps(len(train)))
    report = train_opsd(settings.model_path, train, config.opsd, work, init_adapter=start,
                        on_step=on_step)
    path, sha = publish(work, settings.adapters_dir)
    shutil.rmtree(work, ignore_errors=True)
    version = registry(lambda a: a.create_version(
        run_id=run_id, parent_id=base["id"] if base else None,
        base_model=settings.base_model_id, path=str(path), sha256=sha,
        config=config.to_dict(), metrics={"train_loss": report.losses[-5:]}))

    store.progress(run_id, "gate", version=version["name"])
    verdict = evaluate_candidate(settings.model_path, path, current, heldout, config.gate)
    # A session erased while this run trained is still in these weights: taint them.
    erased = store.erased_during(run_id, len(sessions))
    outcome = "tainted" if erased else "candidate" if verdict.passed else "rejected"
    registry(lambda a: a.set_outcome(version["id"], verdict.metrics(), outcome))

    promoted = False
    if verdict.passed and not state.pinned and not erased:
        store.progress(run_id, "promote", version=version["name"])
        _preload(settings, version["name"], path)
        registry(lambda a: a.promote(version["name"], actor=f"run {run_id}"))
        promoted = True
    return {"sessions": len(sessions), "insights": sum(1 for i in result.insights.values() if i),
            "train_examples": len(train), "heldout": len(heldout), "version": version["name"],
            "gate_passed": verdict.passed, "sessions_consumed": verdict.passed,
            "gate_reasons": verdict.reasons,
            "candidate": verdict.candidate, "current": verdict.current, "promoted": promoted,
            "pinned": state.pinned, "dream": result.stats(), "erased_during_run": erased,
            "train_seconds": round(report.seconds, 1),
            "teacher_rows_checked": report.teacher_rows,
            "teacher_rows_rejected": report.teacher_rejected,
            "seconds": round(time.monotonic() - started, 1)}
