"""Migrations apply once, in order, and concurrently without harm."""

from concurrent.futures import ThreadPoolExecutor

from store.migrate import migrate, migration_files


def test_all_migrations_recorded_and_rerun_is_a_no_op(database_url, db):
    versions = [v for v, _ in migration_files()]
    recorded = [r["version"] for r in db.execute(
        "SELECT version FROM schema_migrations ORDER BY version")]
    assert recorded == versions
    assert migrate(database_url) == []


def test_concurrent_starts_do_not_collide(database_url):
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: migrate(database_url), range(4)))
    assert results == [[]] * 4


def test_schema_holds_the_whole_mission(db):
    tables = {r["tablename"] for r in db.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert tables >= {"tenants", "sessions", "turns", "feedback", "insights", "practice_items",
                      "learning_runs", "run_sessions", "adapter_versions", "adapter_aliases"}
