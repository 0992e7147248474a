"""What a night's adapter starts from (real PostgreSQL, a scripted model; the real training runs
in test_run.py's second night): a night that retires what the serving adapter learned trains
from the base model, every earlier insight still active replayed in full; otherwise it stacks on
the serving adapter; and with nothing serving there is nothing to consolidate."""

from __future__ import annotations

import uuid

from distill.config import LearningConfig
from dream.insights import render
from serve.config.settings import Settings
from serve.learning.stages import Collected, LearningRun, dream
from tests.dream.conftest import ScriptedGenerator
from tests.store.test_adapters import add

TOWN = "I live in Grindlewick, a small town by the sea."
DOG = "My dog is called Pemberton."
MOVED = "Quick update: I don't live in Grindlewick anymore, I moved to Thornbury last month."


def session(db, runs) -> uuid.UUID:
    sid = uuid.uuid4()
    db.execute("INSERT INTO sessions (id, tenant_id, public_id) VALUES (%s, %s, %s)",
               (sid, runs.tenant_id, str(sid)))
    return sid


def first_night(db, runs, tmp_path, database_url, serving: bool) -> LearningRun:
    """A succeeded night that learned the town and the dog; its version serves when `serving`."""
    run = runs.create()
    for text in (TOWN, DOG):
        runs.replace_insights(run, session(db, runs), [{"kind": "fact", "text": render([text])}])
    runs.finish(run, "succeeded", {})
    night = LearningRun(Settings(database_url=database_url, var_dir=tmp_path), runs,
                        runs.create(), LearningConfig(), generator=ScriptedGenerator())
    if serving:
        async def promote(store):
            await store.promote((await add(store, 1))["name"])
        night.registry(promote)
    return night


def tonight(db, runs, said: str) -> Collected:
    sid = session(db, runs)
    return Collected([{"id": sid}], {str(sid): [{"role": "user", "content": said}]})


def replayed(practice) -> set[str]:
    return {i.context for i in practice.result.train_items() if i.origin == "replay"}


def test_a_correction_of_what_the_serving_adapter_learned_trains_from_the_base_model(
        db, runs, tmp_path, database_url):
    night = first_night(db, runs, tmp_path, database_url, serving=True)
    practice = dream(night, tonight(db, runs, MOVED))
    assert practice.from_base == "correction"
    assert replayed(practice) == {render([DOG])}, "the dog in full, the old town not at all"
    replay = [i for i in practice.result.train_items() if i.origin == "replay"]
    assert len(replay) >= 5
    assert any(i.origin == "anchor" and i.beside == DOG for i in practice.result.train_items())


def test_without_a_correction_a_night_stacks_and_samples_its_replay(db, runs, tmp_path,
                                                                     database_url):
    night = first_night(db, runs, tmp_path, database_url, serving=True)
    practice = dream(night, tonight(db, runs, "My cat is called Tofu."))
    assert practice.from_base is None
    train = practice.result.train_items()
    fresh = sum(i.origin == "dream" for i in train)
    assert 0 < sum(i.origin == "replay" for i in train) <= round(
        night.config.dream.replay_fraction * fresh)


def test_with_nothing_serving_there_is_nothing_to_consolidate(db, runs, tmp_path, database_url):
    night = first_night(db, runs, tmp_path, database_url, serving=False)
    assert dream(night, tonight(db, runs, MOVED)).from_base is None
