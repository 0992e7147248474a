"""The stages of a learning run: collect -> dream -> distill -> gate -> promote, and what each
hands the next (`serve.learning.run` runs them in order).

Every stage publishes its progress on the run row and is safe to repeat: a re-delivered task
re-derives what it had not stored. Nothing is promoted before the gate passes, adapters are
published whole (content-addressed) before a version row points at them, and promotion is one
transaction, so a crash never leaves a half-written adapter serving.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from distill.config import LearningConfig
from distill.gate import Probe, Verdict, evaluate_candidate
from distill.locality import Asked
from distill.retention import Earlier, sample
from distill.trainer import PracticeExample, TrainReport, train_opsd
from dream.generator import Generator, HFGenerator
from dream.insights import insight_from_text, render
from dream.memory import reject_replaced, superseded
from dream.pipeline import DreamResult, consolidate, dream_for_sessions
from serve.api.errors import AdapterAlreadyLoaded, APIError
from serve.config.settings import Settings
from serve.engine.generator import EngineGenerator
from serve.engine.model_size import parameter_count
from serve.engine.sync import SyncEngine
from store.adapter_folders import publish, sweep
from store.adapters import AdapterStore
from store.db import open_pool
from store.runs import RunStore
from store.transcripts import excerpt, transcript, with_feedback

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class LearningRun:
    """What every stage works in: the settings, the tenant's run store, this run and its config,
    whether it is a dry run (it stops after the dream and changes no earlier insight), the model
    the dream asks (None: the engine when it answers, else transformers in this process) and when
    its stages started."""

    settings: Settings
    store: RunStore
    run_id: int
    config: LearningConfig
    dry_run: bool = False
    generator: Generator | None = None
    started: float = field(default_factory=time.monotonic)

    def progress(self, stage: str, **progress: Any) -> None:
        self.store.progress(self.run_id, stage, **progress)

    def elapsed(self) -> float:
        """Seconds since the stages started, as the run row shows them."""
        return round(time.monotonic() - self.started, 1)

    def registry(self, action: Callable[[AdapterStore], Awaitable[T]]) -> T:
        """Run one coroutine on the tenant's AdapterStore, on a short-lived pool (the worker is
        synchronous)."""
        async def go() -> T:
            pool = await open_pool(self.settings.database_url or "", 1)
            try:
                return await action(AdapterStore(pool, self.store.tenant_id))
            finally:
                await pool.close()

        return asyncio.run(go())


@dataclass
class Collected:
    """What `collect` hands `dream`: the sessions this run took, their transcripts by id, the
    statements earlier nights deferred (`serve.learning.deferral`), to be tried again, and how
    much feedback came with the sessions."""

    sessions: list[dict]
    transcripts: dict[str, list[dict[str, Any]]]
    deferred: list[dict] = field(default_factory=list)
    feedback: int = 0
    """Down-rated answers read with their sessions."""

    def __bool__(self) -> bool:
        return bool(self.sessions or self.deferred)


@dataclass
class Practice:
    """What `dream` hands `distill` and `gate`: how many sessions it dreamt on, its result, the
    training examples (anchors among them), the held-out probes of what was taught and the
    held-out neighbour questions of the locality check."""

    sessions: int
    result: DreamResult
    train: list[PracticeExample]
    heldout: list[Probe]
    neighbours: list[Asked] = field(default_factory=list)
    insight_ids: dict[str, int | None] = field(default_factory=dict)
    """The stored insight row of each session's insight (a deferred one's own row)."""
    from_base: str | None = None
    """Why the candidate trains from the base model (`NightsConfig.consolidates`); None: on top
    of the serving adapter."""

    def teaches(self) -> bool:
        """Some example carries a context for the teacher: else there is nothing to distill."""
        return any(example.context for example in self.train)


@dataclass
class Candidate:
    """What `distill` hands `gate` and `promote`: the new version's row and folder, the adapter
    it must beat (None: the base model), whether the tenant is pinned, the training report."""

    version: dict[str, Any]
    path: Path
    current: Path | None
    pinned: bool
    report: TrainReport


def _generator(settings: Settings) -> Generator:
    """vLLM when it answers (batched and fast), else transformers in this process."""
    if settings.engine_url:
        with SyncEngine(settings.engine_url) as engine:
            if engine.healthy():
                return EngineGenerator(settings.engine_url, settings.base_model_id,
                                       parameters=parameter_count(settings.model_path))
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


def collect(run: LearningRun) -> Collected:
    """Take the sessions to learn from and the feedback on answers no run has learnt from
    (recorded as this run's lineage), and their transcripts: a new session whole, with what the
    user said of its down-rated answers in their place; a session learnt from before only as
    its rated turns (`store.transcripts`)."""
    run.progress("collect")
    sessions = run.store.take_sessions(run.run_id, run.settings.learn_max_sessions,
                                       run.config.gate.refused_nights)
    feedback = run.store.take_feedback(run.run_id)
    if feedback:
        sessions = run.store.taken_sessions(run.run_id)
    rated: dict[str, list[dict]] = {}
    for row in feedback:
        rated.setdefault(str(row["session_id"]), []).append(row)
    transcripts = {}
    for session in sessions:
        key, given = str(session["id"]), rated.get(str(session["id"]), [])
        if given and given[0]["consumed"]:
            transcripts[key] = [m for row in given for m in excerpt(row)]
        else:
            transcripts[key] = with_feedback(transcript(run.store.transcript(session["id"])),
                                             given)
    return Collected(sessions, transcripts, run.store.deferred_insights(), len(feedback))


DEFERRED = "deferred:"
"""How a deferred insight's row id is keyed among the night's sessions."""


def _retold(row: dict) -> list[dict[str, Any]]:
    """A deferred insight as the user's own words again, to be read like a session."""
    said = " ".join(insight_from_text(row["text"]).statements)
    return [{"role": "user", "content": said}]


def dream(run: LearningRun, collected: Collected) -> Practice:
    """Dream on the sessions (insights, practice, teacher filter, replay of earlier insights),
    store what it derived, and split the kept items into training examples and gate probes."""
    run.progress("dream", sessions=len(collected.sessions), deferred=len(collected.deferred),
                 feedback=collected.feedback)
    generator = run.generator or _generator(run.settings)
    earlier = run.store.earlier_insights(run.run_id)
    transcripts = {**collected.transcripts,
                   **{f"{DEFERRED}{row['id']}": _retold(row) for row in collected.deferred}}
    try:
        result = dream_for_sessions(transcripts, generator, run.config.dream,
                                    earlier=[row["text"] for row in earlier])
        insight_ids, retired = _store_insights(run, result, earlier)
        from_base = None if run.dry_run else run.config.nights.consolidates(
            retired, run.registry(_stacked))
        if from_base:
            # What stays active after tonight's retirements, all of it learned anew.
            active = [row["text"] for row in run.store.earlier_insights(run.run_id)]
            result = consolidate(result, active, generator, run.config.dream)
            log.info("run %s: trains from the base model (%s), %d earlier insights replayed",
                     run.run_id, from_base, len(active))
    finally:
        if generator is not run.generator and isinstance(generator, EngineGenerator):
            generator.close()
    _store_practice(run, result, earlier, insight_ids)
    return practice_of(len(collected.sessions), result, insight_ids, from_base)


async def _stacked(adapters: AdapterStore) -> int:
    """Nights the version a run would train on top of has stacked (0: none, the base model)."""
    base = await adapters.training_base()
    return await adapters.stacked(base["id"] if base else None)


def practice_of(sessions: int, result: DreamResult, insight_ids: dict[str, int | None],
                from_base: str | None = None) -> Practice:
    """The dream's kept items as training examples, learning probes and neighbour questions."""
    train = [PracticeExample(item.prompt, item.context or "", item.checker,
                             tuple(item.teacher_answers)) for item in result.train_items()]
    heldout = [Probe(item.prompt, item.checker) for item in result.heldout_items()
               if item.checker]
    neighbours = [Asked(item.question, item.checker, item.beside)
                  for item in result.neighbour_items()]
    return Practice(sessions, result, train, heldout, neighbours, insight_ids, from_base)


def _store_insights(run: LearningRun, result: DreamResult,
                    earlier: list[dict]) -> tuple[dict[str, int | None], int]:
    """Store each session's insight and quarantined statements, and retire what they
    superseded: the insight row of each session, and how many earlier insights were retired or
    narrowed. A deferred insight tried again keeps its own row. A dry run retires no earlier
    insight: it learns nothing, so what it superseded is still what the model was taught."""
    insight_ids: dict[str, int | None] = {
        key: int(key.removeprefix(DEFERRED)) for key in result.insights
        if key.startswith(DEFERRED)}
    for session_id in result.insights.keys() | result.quarantined.keys():
        if session_id.startswith(DEFERRED):
            continue
        insight = result.insights.get(session_id)
        rows = [] if insight is None else [{"kind": insight.kind, "text": insight.text}]
        rows += [{**held, "status": "quarantined"} for held in
                 result.quarantined.get(session_id, [])]  # kept for review, never learned
        ids = run.store.replace_insights(run.run_id, session_id, rows)
        insight_ids[session_id] = ids[0] if insight is not None else None
    retired = _retire_superseded(run, result, earlier, insight_ids, store=not run.dry_run)
    _drop_corrected_deferred(run, result, insight_ids, store=not run.dry_run)
    return insight_ids, retired


def _store_practice(run: LearningRun, result: DreamResult, earlier: list[dict],
                    insight_ids: dict[str, int | None]) -> None:
    """Store every practice item, pointing at the insight it came from."""
    # Replayed items point at the earlier insight they came from: erasing its session then
    # deletes them too and taints what this run trains.
    replayed = {row["text"]: row["id"] for row in earlier}
    run.store.replace_practice(run.run_id, [
        {**item.as_row(), "insight_id": insight_ids.get(item.session_id) if item.session_id
         else replayed.get(item.context or "")}
        for item in result.items])


def _retire_superseded(run: LearningRun, result: DreamResult, earlier: list[dict],
                       insight_ids: dict[str, int | None], store: bool = True) -> int:
    """Retire the earlier insights whose statements tonight's sessions superseded (`dream.memory`:
    the user moved, corrected a value, left a job), replaced by the session's insight; one with
    other statements still standing keeps them in a new active row; tonight's questions about
    the corrected facts fail the old values (`dream.memory.reject_replaced`). Tonight's replay
    of them is dropped: neither trained on nor asked by the gate. With `store` False (a dry run)
    only the replay is dropped; the earlier rows stay as they are. How many were retired or
    narrowed."""
    said = [(row, s) for row in earlier for s in insight_from_text(row["text"]).statements]
    replaced_by: dict[int, int | None] = {}
    gone: set[int] = set()  # indexes into `said`
    for session_id, insight in result.insights.items():
        if session_id.startswith(DEFERRED):
            continue  # read with its own session, and superseded what it could then
        replaced = superseded([s for _, s in said], insight.statements, insight.kinds)
        for index in replaced:
            gone.add(index)
            replaced_by.setdefault(said[index][0]["id"], insight_ids.get(session_id))
        if replaced:  # tonight's questions about the corrected facts fail their old values
            reject_replaced([i for i in result.items if i.session_id == session_id],
                            insight.statements, [said[i][1] for i in sorted(replaced)])
    retired = set()
    for row in earlier:
        if row["id"] not in replaced_by:
            continue
        kept = [s for i, (r, s) in enumerate(said) if r is row and i not in gone]
        if store and kept:
            run.store.narrow_insight(row["id"], render(kept))
        elif store:
            run.store.retire_insights([row["id"]], replaced_by[row["id"]])
        retired.add(row["text"])
    for item in result.items:
        if item.origin == "replay" and item.context in retired:
            item.kept, item.drop_reason = False, "superseded"
    if retired:
        log.info("run %s: %d earlier insights superseded%s", run.run_id, len(retired),
                 "" if store else " (dry run: left as they are)")
    return len(retired)


def _drop_corrected_deferred(run: LearningRun, result: DreamResult,
                             insight_ids: dict[str, int | None], store: bool = True) -> None:
    """A statement an earlier night deferred and a session since corrected ("I live in Leeds"
    held back, then "we moved to York") is not tried again: its row is retired, replaced by the
    correcting session's insight, and nothing is trained or asked from it tonight; the
    correction's questions fail the old value (`dream.memory.reject_replaced`). A deferred
    row with a statement still standing beside the corrected one goes whole: learning less is
    safer than teaching the old value. A dry run leaves the row as it is."""
    tonight = [(key, insight) for key, insight in result.insights.items()
               if not key.startswith(DEFERRED)]
    for key in [k for k in result.insights if k.startswith(DEFERRED)]:
        retold = result.insights[key].statements
        by = next((k for k, insight in tonight
                   if superseded(list(retold), insight.statements, insight.kinds)), None)
        if by is None:
            continue
        reject_replaced([i for i in result.items if i.session_id == by],
                        result.insights[by].statements, list(retold))
        if store and insight_ids.get(key) is not None:
            run.store.retire_insights([insight_ids[key]], insight_ids.get(by))
        for item in result.items:
            if item.session_id == key:
                item.kept, item.drop_reason = False, "superseded"
        del result.insights[key]
        insight_ids[key] = None
        log.info("run %s: deferred insight %s was corrected since; not tried again", run.run_id,
                 key.removeprefix(DEFERRED))


def distill(run: LearningRun, practice: Practice) -> Candidate:
    """Train a LoRA adapter on the practice with OPSD, publish its folder whole and register it
    as a candidate version."""
    state = run.registry(lambda a: a.state())
    current = Path(state.active["path"]) if state.active else None  # what the gate beats
    # What the new weights start from: not a version that learned from erased sessions.
    base = None if practice.from_base else run.registry(lambda a: a.training_base())
    start = Path(base["path"]) if base else None
    work = run.settings.adapters_dir / ".work" / f"run-{run.run_id}"
    shutil.rmtree(work, ignore_errors=True)
    sweep(run.settings.adapters_dir)

    def on_step(step: int, total: int, loss: float) -> None:
        run.progress("distill", step=step, total=total, loss=round(loss, 5),
                     elapsed_s=run.elapsed())

    run.progress("distill", step=0, total=run.config.opsd.total_steps(len(practice.train)))
    report = train_opsd(run.settings.model_path, practice.train, run.config.opsd, work,
                        init_adapter=start, on_step=on_step)
    run.progress("distill", step=report.steps, total=report.step_limit,
                 loss=round(report.losses[-1], 5), stopped=report.stopped,
                 answered=report.answered, elapsed_s=run.elapsed())
    path, sha = publish(work, run.settings.adapters_dir)
    shutil.rmtree(work, ignore_errors=True)
    version = run.registry(lambda a: a.create_version(
        run_id=run.run_id, parent_id=base["id"] if base else None,
        base_model=run.settings.base_model_id, path=str(path), sha256=sha,
        config=run.config.to_dict(), metrics={"train_loss": report.losses[-5:],
                                              "from_base": practice.from_base}))
    return Candidate(version, path, current, state.pinned, report)


def gate(run: LearningRun, candidate: Candidate, practice: Practice) -> tuple[Verdict, int]:
    """Measure the candidate against what serves now and record the outcome on its version;
    the verdict, and how many of the run's sessions were erased meanwhile."""
    run.progress("gate", version=candidate.version["name"])
    verdict = evaluate_candidate(run.settings.model_path, candidate.path, candidate.current,
                                 practice.heldout, run.config.gate, practice.neighbours,
                                 practice.result.statements(), earlier_probes(run, practice))
    # A session erased while this run trained is still in these weights: taint them.
    erased = run.store.erased_during(run.run_id, practice.sessions)
    outcome = "tainted" if erased else "candidate" if verdict.passed else "rejected"
    run.registry(lambda a: a.set_outcome(candidate.version["id"], verdict.metrics(), outcome))
    return verdict, erased


def earlier_probes(run: LearningRun, practice: Practice) -> list[Earlier]:
    """A sample of earlier nights' held-out questions of the insights still active (the
    retention check, `distill.retention`), leaving out any that tonight trains on."""
    if run.config.gate.earlier_questions == 0:
        return []
    trained = {_prompt_key(example.prompt) for example in practice.train}
    probes = [Earlier(prompt, row["checker"], row["insight"])
              for row in run.store.earlier_heldout(run.run_id)
              if _prompt_key(prompt := json.loads(row["prompt"])) not in trained]
    return sample(probes, run.config.gate.earlier_questions, run.run_id)


def _prompt_key(prompt: list[dict]) -> str:
    return json.dumps([[m.get("role"), " ".join(str(m.get("content", "")).lower().split())]
                       for m in prompt])


def promote(run: LearningRun, candidate: Candidate, verdict: Verdict, erased: int) -> bool:
    """Make the candidate active when it passed the gate, the tenant is not pinned and none of
    its sessions was erased; the engine loads it first. Whether it was promoted."""
    if not verdict.passed or candidate.pinned or erased:
        return False
    name = candidate.version["name"]
    run.progress("promote", version=name)
    _preload(run.settings, name, candidate.path)
    run.registry(lambda a: a.promote(name, actor=f"run {run.run_id}"))
    return True


