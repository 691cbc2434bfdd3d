"""The run store (llmbreaker/engine/store): round trip, caps and ageing, concurrent writers, faults.

Every test uses its own database: an SQLite file, and again on PostgreSQL in a schema of its own
when LLMBREAKER_TEST_DB_URL is set (.ci/run starts a server and sets it; without it those are skipped).
"""
import os
import sqlite3
import threading

import numpy as np
import pytest
from sqlalchemy import create_engine, text

from llmbreaker.engine.store import db as store_db
from llmbreaker.engine.store import RunStore, new_token
from llmbreaker.engine.trainer import Checkpoint

@pytest.fixture
def db_url(store_url):
    """Every test twice: on an SQLite file, and on PostgreSQL in a schema of its own when
    LLMBREAKER_TEST_DB_URL is set (conftest.store_url)."""
    return store_url


def sqlite_only(url: str) -> None:
    if not url.startswith("sqlite"):
        pytest.skip("a fault of an SQLite file")


@pytest.fixture
def open_store(db_url):
    stores = []

    def make(**kwargs):
        s = RunStore(kwargs.pop("url", db_url), **kwargs)
        stores.append(s)
        return s
    yield make
    for s in stores:
        s.close()
    assert not [t for t in threading.enumerate() if t.name == "run-store-writer"], "a writer thread outlived its store"


def checkpoint(step, experts=False):
    rng = np.random.default_rng(step)
    att = rng.random((2, 2, 8, 8), dtype=np.float32)
    return Checkpoint(step=step, train_loss=3.0 - step / 100, val_loss=3.1 - step / 100, sample=f"sample at {step} ü↵",
                      attention=att, next_token=[("e", 0.5), (" ", 0.25)], lr=0.01, elapsed=step / 10,
                      experts={"share": rng.random((2, 4)), "probe_top": np.arange(8).reshape(1, 8), "balance": 0.02}
                      if experts else None)


def write_run(store, token=None, steps=3, finish="completed", text="To be, or not to be", model=b"\x00model\xff"):
    token = token or new_token()
    store.start_run(token, "watch", "Shakespeare", {"model": {"n_embd": 32}, "train": {"max_steps": 200}, "base": ""},
                    text, total_steps=200)
    store.run_info(token, {"vocab": list("abc"), "next_prompt": "To be", "parameters": 123})
    for i in range(steps):
        store.add_losses(token, list(range(i * 10 + 1, i * 10 + 11)), [2.0 - 0.01 * j for j in range(10)])
        store.add_checkpoint(token, checkpoint((i + 1) * 10, experts=True))
    if finish:
        store.finish_run(token, finish, seconds=1.5, model_file=model if finish == "completed" else None)
    return token


def test_a_run_round_trips_with_every_field(open_store):
    store = open_store()
    assert store.available, store.problem
    token = write_run(store)
    assert store.flush()
    run = store.load_run(token)
    assert run.page == "watch" and run.label == "Shakespeare" and run.text == "To be, or not to be"
    assert run.settings == {"model": {"n_embd": 32}, "train": {"max_steps": 200}, "base": ""}
    assert run.info["vocab"] == ["a", "b", "c"] and run.info["next_prompt"] == "To be"
    assert run.state == "completed" and run.step == 30 and run.total_steps == 200 and run.seconds == 1.5
    assert run.model_file == b"\x00model\xff"
    assert run.steps == list(range(1, 31)) and len(run.losses) == 30
    assert run.losses[0] == pytest.approx(2.0)
    assert [c.step for c in run.checkpoints] == [10, 20, 30]
    c, want = run.checkpoints[-1], checkpoint(30, experts=True)
    assert (run.train_loss, run.val_loss) == (pytest.approx(want.train_loss), pytest.approx(want.val_loss))
    assert c.sample == want.sample and c.next_token == [("e", 0.5), (" ", 0.25)]
    assert c.attention.shape == (2, 2, 8, 8) and c.attention.dtype == np.float32
    assert np.abs(c.attention - want.attention).max() < 1e-3  # float16: enough for a picture
    assert c.lr == 0.01 and c.elapsed == 3.0
    assert np.allclose(c.experts["share"], want.experts["share"]) and c.experts["balance"] == 0.02
    assert c.experts["probe_top"].tolist() == [list(range(8))]
    assert run.created <= run.updated


def test_a_reopened_store_keeps_runs_and_a_run_still_training_reads_as_running(open_store, db_url):
    first = open_store()
    done = write_run(first)
    going = write_run(first, finish=None)
    first.close()
    again = open_store(url=db_url)
    assert again.load_run(done).state == "completed"
    run = again.load_run(going)
    assert run.state == "running" and run.step == 30  # the page shows it as interrupted at step 30


def test_unknown_and_malformed_tokens_are_none(open_store):
    store = open_store()
    assert store.load_run(new_token()) is None
    for bad in ("", "x", "../../etc/passwd", "a" * 500, "bad token with spaces!", None):
        assert store.load_run(bad) is None


def test_oldest_runs_go_first_past_the_size_cap(open_store):
    now = [1000.0]
    store = open_store(max_bytes=10_000, clock=lambda: now[0])
    text = os.urandom(3000).hex()  # ~6 KB that compress to ~3 KB each
    tokens = []
    for _ in range(5):
        now[0] += 10
        tokens.append(write_run(store, text=text, steps=1, model=b""))
    assert store.flush()
    kept = store.tokens()
    assert kept and kept == tokens[-len(kept):]  # the newest are kept, in order
    assert len(kept) < 5 and store.total_size() <= 10_000
    assert store.load_run(tokens[0]) is None


def test_runs_older_than_the_age_limit_are_removed(open_store):
    now = [1_000_000.0]
    store = open_store(max_age=3600, clock=lambda: now[0])
    old = write_run(store)
    assert store.flush()
    now[0] += 7200
    new = write_run(store)
    assert store.flush()
    assert store.tokens() == [new]


def test_many_threads_and_two_stores_on_one_database_write_at_once(open_store, db_url):
    a, b = open_store(), open_store(url=db_url)  # two stores: as two server processes would be
    tokens, lock = [], threading.Lock()

    def work(store):
        for _ in range(5):
            t = write_run(store, steps=4)
            with lock:
                tokens.append(t)

    threads = [threading.Thread(target=work, args=(s,)) for s in (a, b, a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert a.flush() and b.flush()
    assert a.available and b.available, (a.problem, b.problem)
    assert sorted(a.tokens()) == sorted(tokens) and len(tokens) == 30
    for t in tokens:
        run = b.load_run(t)
        assert run.state == "completed" and [c.step for c in run.checkpoints] == [10, 20, 30, 40]


def test_a_corrupt_file_makes_the_store_unavailable_with_a_message_and_writes_are_dropped(tmp_path, open_store, db_url):
    sqlite_only(db_url)
    path = tmp_path / "runs.db"
    path.write_bytes(b"this is not a database, " * 200)
    store = open_store(url=f"sqlite:///{path}")
    assert not store.available
    assert "damaged" in store.problem and "Runs are not kept" in store.problem
    write_run(store)  # training goes on: nothing raises, nothing is queued
    assert store.flush()
    with pytest.raises(store_db.StoreError, match="damaged"):
        store.load_run(new_token())


def test_a_database_that_fails_mid_run_turns_the_store_unavailable_not_training(tmp_path, open_store, db_url,
                                                                                  monkeypatch):
    sqlite_only(db_url)
    # Another program holds the write lock longer than the store waits (its 5 s busy timeout is
    # shortened here so the test is quick).
    monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT", 0.1)
    store = open_store()
    token = write_run(store, finish=None)
    assert store.flush()
    blocker = sqlite3.connect(store.engine.url.database)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        store.finish_run(token, "completed", model_file=b"m")  # must not raise
        assert store.flush()
        assert not store.available and "locked" in store.problem
        store.add_checkpoint(token, checkpoint(99))  # dropped quietly
    finally:
        blocker.rollback()
        blocker.close()


def test_an_old_schema_version_is_refused_with_a_message(db_url, open_store):
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE schema_version (version INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO schema_version VALUES (0)"))
    engine.dispose()
    store = open_store()
    assert not store.available
    assert "older LLMBreaker (schema 0)" in store.problem and "LLMBREAKER_DB_URL" in store.problem


def test_an_old_schema_version_with_a_migration_is_migrated(db_url, open_store, monkeypatch):
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE schema_version (version INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO schema_version VALUES (0)"))
    engine.dispose()
    monkeypatch.setitem(store_db.MIGRATIONS, 0, lambda conn: store_db.Base.metadata.create_all(conn))
    store = open_store()
    assert store.available, store.problem
    token = write_run(store)
    assert store.flush() and store.load_run(token).state == "completed"
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM schema_version")).scalar() == store_db.CURRENT_SCHEMA


def test_a_newer_schema_or_a_foreign_database_is_refused(db_url, open_store):
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE schema_version (version INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO schema_version VALUES (99)"))
    engine.dispose()
    assert "newer LLMBreaker" in open_store().problem


def test_bad_cap_settings_say_which_variable(monkeypatch, db_url):
    monkeypatch.setenv("LLMBREAKER_STORE_MAX_MB", "lots")
    store = RunStore(db_url)
    assert not store.available and "LLMBREAKER_STORE_MAX_MB must be a positive number" in store.problem
    store.close()


def test_the_writer_thread_ends_when_idle_and_on_close(open_store, monkeypatch):
    monkeypatch.setattr(store_db, "WRITER_IDLE_SECONDS", 0.05)
    store = open_store()
    write_run(store)
    assert store.flush()
    store._thread and store._thread.join(5)
    assert store._thread is None
    write_run(store)  # starts again
    store.close()
    assert store._thread is None
