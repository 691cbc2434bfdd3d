"""The run store's schema 2 (docs/design.md §Runs, "Your runs"): series, owners and titles; list_runs, rename,
delete; caps and ageing a series at a time; a person's delete while the writer writes the same run;
a database written by schema 1 migrated. On SQLite, and on PostgreSQL when LLMBREAKER_TEST_DB_URL is
set (conftest.store_url)."""
import json
import threading
import zlib

import numpy as np
import pytest
from sqlalchemy import (BigInteger, Column, Double, ForeignKey, Integer, LargeBinary, MetaData, String, Table, Text,
                        create_engine, func, select, text)

from llmbreaker.engine.store import RunStore, RunSummary, StoreError, new_token
from llmbreaker.engine.store import db as store_db

from test_store import checkpoint, db_url, open_store, write_run  # noqa: F401  (fixtures)

OWNER, OTHER = "a" * 32, "b" * 32


def series_of(store, n=3, owner=OWNER, finish="completed", label="Lab", steps=2):
    """A page's group of runs (the Lab's compared runs): n runs, the first one's token their series."""
    head = new_token()
    tokens = [head] + [new_token() for _ in range(n - 1)]
    for i, t in enumerate(tokens):
        store.start_run(t, "lab", f"{label} #{i + 1}", {"model": {"n_layer": i + 1}}, "some text", 30,
                        series=head, owner=owner)
        for j in range(steps):
            store.add_losses(t, [j * 10 + k for k in range(1, 11)], [2.0] * 10)
            c = checkpoint((j + 1) * 10)
            c.sample = f"run {i + 1} at {(j + 1) * 10}: " + "x" * 200
            store.add_checkpoint(t, c)
        if finish:
            store.finish_run(t, finish if i == n - 1 else "completed", seconds=1.0)
    return tokens


def orphan_checkpoints(store) -> int:
    """Checkpoints and texts left without their run."""
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(store_db.CheckpointRow.__table__).where(
            store_db.CheckpointRow.run_token.notin_(select(store_db.RunRow.token)))).scalar() + conn.execute(
            select(func.count()).select_from(store_db.RunTextRow.__table__).where(
                store_db.RunTextRow.token.notin_(select(store_db.RunRow.token)))).scalar()


def test_start_run_records_series_and_owner_and_a_lone_run_is_its_own_series(open_store):
    store = open_store()
    alone = write_run(store)
    tokens = series_of(store)
    assert store.flush() and store.available, store.problem
    run = store.load_run(alone)
    assert run.series == alone and run.owner == "" and run.title == ""
    runs = store.load_series(tokens[0])
    assert [r.token for r in runs] == tokens  # oldest first
    assert all(r.series == tokens[0] and r.owner == OWNER for r in runs)
    assert [r.label for r in runs] == ["Lab #1", "Lab #2", "Lab #3"]
    assert [c.step for c in runs[2].checkpoints] == [10, 20] and runs[2].steps == list(range(1, 21))
    assert store.load_series(tokens[1]) == []  # a member's token is not a series
    assert store.load_series(new_token()) == [] and store.load_series("../../x") == [] and store.load_series(None) == []


def test_list_runs_one_row_per_series_newest_first_for_this_owner_only(open_store):
    now = [1000.0]

    def clock():  # every event a little later, as on a real server
        now[0] += 0.01
        return now[0] - 0.01
    store = open_store(clock=clock)
    first = series_of(store, n=3, finish="stopped")
    now[0] += 100
    lone = new_token()
    store.start_run(lone, "watch", "Shakespeare", {}, "To be", 2200, owner=OWNER)
    store.add_losses(lone, [1, 2], [3.0, 2.9])
    store.add_checkpoint(lone, checkpoint(0))
    now[0] += 100
    series_of(store, n=1, owner=OTHER)
    write_run(store)  # nobody's (no owner): never listed
    assert store.flush()
    got = store.list_runs(OWNER)
    assert [s.token for s in got] == [lone, first[0]]
    assert all(isinstance(s, RunSummary) for s in got)
    lab = got[1]
    assert (lab.page, lab.label, lab.title, lab.runs) == ("lab", "Lab #1", "", 3)
    assert lab.state == "stopped" and lab.step == 20 and lab.total_steps == 30  # its last run's
    assert lab.val_loss == pytest.approx(checkpoint(20).val_loss)
    assert lab.last_sample.startswith("run 3 at 20: x") and len(lab.last_sample) == 100
    assert 1000.0 <= lab.created < lab.updated < 1100
    assert lab.size == sum(store_db_size(store, t) for t in first) > 0
    watch = got[0]
    assert watch.state == "running" and watch.runs == 1 and watch.last_sample == "sample at 0 ü↵"
    assert store.list_runs(OWNER, limit=1)[0].token == lone
    assert [s.token for s in store.list_runs(OTHER)] and store.list_runs("") == []


def store_db_size(store, token):
    with store.engine.connect() as conn:
        return conn.execute(select(store_db.RunRow.size).where(store_db.RunRow.token == token)).scalar()


def test_rename_gives_the_series_a_title_for_its_owner_only(open_store):
    store = open_store()
    tokens = series_of(store)
    assert store.flush()
    assert store.rename(tokens[0], OWNER, "   Positions   on vs off  ")
    assert store.list_runs(OWNER)[0].title == "Positions on vs off"
    assert all(r.title == "Positions on vs off" for r in store.load_series(tokens[0]))
    assert store.rename(tokens[2], OWNER, "x" * 1000)  # any run of the series names it
    assert store.list_runs(OWNER)[0].title == "x" * 300
    assert not store.rename(tokens[0], OTHER, "mine now")
    assert not store.rename(tokens[0], "", "nobody's")
    assert not store.rename(new_token(), OWNER, "gone") and not store.rename("bad token!", OWNER, "x")
    assert store.rename(tokens[0], OWNER, "with a NUL \x00 inside")  # PostgreSQL's TEXT refuses NUL
    assert store.list_runs(OWNER)[0].title == "with a NUL \ufffd inside"
    assert store.rename(tokens[0], OWNER, "")
    assert store.list_runs(OWNER)[0].title == ""


def test_delete_removes_the_whole_series_with_its_checkpoints_for_its_owner_only(open_store):
    store = open_store()
    tokens = series_of(store)
    other = series_of(store, owner=OTHER)
    assert store.flush()
    assert not store.delete(tokens[0], OTHER) and not store.delete(tokens[0], "")
    assert not store.delete("not a token", OWNER)
    assert store.delete(tokens[1], OWNER)  # any run of it: the whole series goes
    assert store.list_runs(OWNER) == [] and all(store.load_run(t) is None for t in tokens)
    assert [r.token for r in store.load_series(other[0])] == other
    assert orphan_checkpoints(store) == 0
    with store.engine.connect() as conn:
        left = conn.execute(select(func.count()).select_from(store_db.CheckpointRow.__table__)).scalar()
    assert left == 3 * 2  # the other owner's 3 runs x 2 checkpoints
    assert not store.delete(tokens[0], OWNER)  # already gone


def test_deleting_a_run_the_writer_is_writing_leaves_the_store_whole(open_store):
    store = open_store()
    token = new_token()
    store.start_run(token, "watch", "Poems", {}, "text", 100, owner=OWNER)
    store.add_checkpoint(token, checkpoint(0))
    assert store.flush()
    assert store.delete(token, OWNER)
    store.add_losses(token, [1, 2, 3], [1.0, 1.0, 1.0])
    store.add_checkpoint(token, checkpoint(10))  # the writer finds the run gone and drops these
    store.finish_run(token, "completed", model_file=b"m")
    assert store.flush()
    assert store.available, store.problem
    assert store.load_run(token) is None and orphan_checkpoints(store) == 0
    assert token not in store._live and not store._live_series


def test_a_person_renaming_and_deleting_while_two_writers_write_the_same_runs(open_store, db_url):
    """Two stores (two server processes) write runs; another thread renames and deletes them as
    they are written. Nothing is corrupted: every store stays available, no checkpoint outlives
    its run, and every run left reads back whole."""
    a, b = open_store(), open_store(url=db_url)
    done = threading.Event()
    errors = []

    def train(store, n):
        try:
            for _ in range(n):
                series_of(store, n=2, steps=4)
        except Exception as e:  # pragma: no cover - would fail the test below
            errors.append(e)

    def person():
        try:
            i = 0
            while not done.is_set() or i < 3:
                for s in a.list_runs(OWNER):
                    if i % 2:
                        a.delete(s.token, OWNER)
                    else:
                        a.rename(s.token, OWNER, f"name {i}")
                i += 1
        except Exception as e:  # pragma: no cover
            errors.append(e)

    writers = [threading.Thread(target=train, args=(s, 6)) for s in (a, b)]
    deleter = threading.Thread(target=person)
    deleter.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    assert a.flush() and b.flush()
    done.set()
    deleter.join(60)
    assert not deleter.is_alive() and errors == []
    assert a.available and b.available, (a.problem, b.problem)
    assert orphan_checkpoints(a) == 0
    for s in a.list_runs(OWNER):
        for run in a.load_series(s.token):
            assert len(run.checkpoints) in (0, 4) and run.text == "some text"


def test_ageing_and_the_size_cap_remove_a_series_at_a_time(open_store):
    now = [1_000_000.0]
    store = open_store(max_age=3600, clock=lambda: now[0])
    old = series_of(store, n=2)
    now[0] += 3000
    spanning = new_token()  # a series whose first run is old and whose last one is recent
    store.start_run(spanning, "lab", "#1", {}, "t", 10, owner=OWNER)
    store.finish_run(spanning, "completed")
    assert store.flush()
    now[0] += 1000  # the first series is past the limit; the second one's first run too
    late = new_token()
    store.start_run(late, "lab", "#2", {}, "t", 10, series=spanning, owner=OWNER)
    store.finish_run(late, "completed")
    assert store.flush()
    left = store.tokens()
    assert not set(old) & set(left) and left == [spanning, late]
    now[0] += 4000  # now all of it is old; a new run elsewhere triggers the check
    write_run(store)
    assert store.flush()
    assert spanning not in store.tokens() and late not in store.tokens()


def test_the_size_cap_takes_the_oldest_series_whole_and_never_one_being_written(open_store):
    import os
    now = [1000.0]
    store = open_store(max_bytes=30_000, clock=lambda: now[0])
    big = os.urandom(4000).hex()  # ~4 KB compressed per run
    live = new_token()
    store.start_run(live, "watch", "live", {}, big, 10, owner=OWNER)  # the oldest, but still training
    series = []
    for _ in range(4):
        now[0] += 10
        head = new_token()
        for i in range(2):
            t = head if i == 0 else new_token()
            store.start_run(t, "lab", "x", {}, big, 10, series=head, owner=OWNER)
            store.finish_run(t, "completed")
        series.append(head)
    assert store.flush()
    kept_series = {r.token for r in store.list_runs(OWNER)}
    assert live in kept_series  # the run being written stays
    for head in series:  # each series is there whole or not at all
        assert len(store.load_series(head)) in (0, 2)
    gone = [h for h in series if h not in kept_series]
    assert gone and gone == series[:len(gone)]  # the oldest went first
    assert store.total_size() <= 30_000 + store_db_size(store, live)
    store.finish_run(live, "completed")
    assert store.flush()


# -- schema 1 -> 2 --------------------------------------------------------------------------------
def v1_tables(meta: MetaData):
    """The tables exactly as schema 1 (the first landed version) created them."""
    Table("schema_version", meta, Column("version", Integer, primary_key=True))
    Table("runs", meta,
          Column("token", String(64), primary_key=True), Column("page", String(32), nullable=False),
          Column("label", String(300), nullable=False), Column("settings", Text, nullable=False),
          Column("text", LargeBinary, nullable=False), Column("info", Text, nullable=False),
          Column("created", Double, nullable=False, index=True), Column("updated", Double, nullable=False),
          Column("state", String(16), nullable=False), Column("step", Integer, nullable=False),
          Column("total_steps", Integer, nullable=False), Column("train_loss", Double, nullable=True),
          Column("val_loss", Double, nullable=True), Column("seconds", Double, nullable=True),
          Column("message", Text, nullable=False), Column("losses", LargeBinary, nullable=True),
          Column("model_file", LargeBinary, nullable=True), Column("size", BigInteger, nullable=False))
    Table("checkpoints", meta,
          Column("id", Integer, primary_key=True, autoincrement=True),
          Column("run_token", String(64), ForeignKey("runs.token", ondelete="CASCADE"), nullable=False, index=True),
          Column("step", Integer, nullable=False), Column("train_loss", Double, nullable=False),
          Column("val_loss", Double, nullable=False), Column("lr", Double, nullable=False),
          Column("elapsed", Double, nullable=False), Column("sample", Text, nullable=False),
          Column("next_token", Text, nullable=False), Column("attention", LargeBinary, nullable=False),
          Column("attention_shape", String(64), nullable=False), Column("experts", Text, nullable=True))
    return meta


def write_v1_database(url: str) -> list[str]:
    """A database as the landed version 1 wrote it: two runs, one finished with checkpoints."""
    meta = v1_tables(MetaData())
    engine = create_engine(url)
    tokens = [new_token(), new_token()]
    att = np.linspace(0, 1, 2 * 2 * 4 * 4, dtype=np.float32).reshape(2, 2, 4, 4)
    with engine.begin() as conn:
        meta.create_all(conn)
        conn.execute(meta.tables["schema_version"].insert().values(version=1))
        for i, t in enumerate(tokens):
            text_blob = zlib.compress("old text".encode(), 1)
            losses = zlib.compress(np.asarray([1, 2], np.int32).tobytes() + np.asarray([3.0, 2.5], np.float32).tobytes())
            conn.execute(meta.tables["runs"].insert().values(
                token=t, page="watch", label=f"old {i}", settings=json.dumps({"model": {}}), text=text_blob,
                info="{}", created=100.0 + i, updated=101.0 + i, state="completed" if i == 0 else "running",
                step=2, total_steps=2, train_loss=2.5, val_loss=2.6, seconds=1.0, message="", losses=losses,
                model_file=b"m" if i == 0 else None, size=100))
        conn.execute(meta.tables["checkpoints"].insert().values(
            run_token=tokens[0], step=2, train_loss=2.5, val_loss=2.6, lr=0.01, elapsed=0.5, sample="old sample",
            next_token=json.dumps([["e", 0.5]]), attention=zlib.compress(att.astype(np.float16).tobytes()),
            attention_shape=json.dumps([2, 2, 4, 4]), experts=None))
    engine.dispose()
    return tokens


def test_a_schema_1_database_is_migrated_to_schema_2_and_its_runs_read_back(db_url, open_store):
    done, going = write_v1_database(db_url)
    store = open_store(clock=lambda: 200.0)
    assert store.available, store.problem
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM schema_version")).scalar() == 2
    run = store.load_run(done)
    assert (run.series, run.owner, run.title) == (done, "", "")
    assert run.label == "old 0" and run.text == "old text" and run.model_file == b"m"
    assert run.steps == [1, 2] and run.losses == [3.0, 2.5]
    assert run.checkpoints[0].sample == "old sample" and run.checkpoints[0].attention.shape == (2, 2, 4, 4)
    assert [r.token for r in store.load_series(going)] == [going]
    assert store.list_runs(OWNER) == []  # old runs have no owner: open by their address only
    with store.engine.connect() as conn:  # the texts moved to run_texts
        assert conn.execute(text("SELECT count(*) FROM run_texts")).scalar() == 2
        assert {len(t) for t in conn.execute(text("SELECT text FROM runs")).scalars()} == {0}
    # The migrated database takes schema-2 writes, and opens again without migrating twice.
    mine = write_run(store)
    assert store.flush() and store.available, store.problem
    store.close()
    again = open_store(url=db_url, clock=lambda: 200.0)
    assert again.available, again.problem
    assert {done, going, mine} <= set(again.tokens())
    assert again.rename(mine, OWNER, "t") is False  # nobody's run: no owner can rename it


def test_a_half_done_migration_is_finished(db_url, open_store):
    """A migration another process began (a column added) completes, not fails."""
    done, _ = write_v1_database(db_url)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE runs ADD COLUMN series VARCHAR(64) NOT NULL DEFAULT ''"))
    engine.dispose()
    store = open_store(clock=lambda: 200.0)
    assert store.available, store.problem
    assert store.load_run(done).series == done


def test_direct_calls_on_an_unavailable_store_raise_a_message(tmp_path, open_store):
    path = tmp_path / "broken.db"
    path.write_bytes(b"garbage " * 1000)
    store = open_store(url=f"sqlite:///{path}")
    assert not store.available
    for call in (lambda: store.list_runs(OWNER), lambda: store.rename(new_token(), OWNER, "x"),
                 lambda: store.delete(new_token(), OWNER), lambda: store.export_run(new_token()),
                 lambda: store.load_series(new_token()), lambda: store.import_run(b"x", OWNER)):
        with pytest.raises(StoreError, match="Runs are not kept: its database file is damaged"):
            call()


def test_two_processes_opening_a_schema_1_database_at_once_both_migrate_it_once(db_url, open_store):
    """Two replicas starting together on an old database: one migrates, the other finds it done."""
    done, _ = write_v1_database(db_url)
    stores, start = [], threading.Barrier(3)

    def open_one():
        start.wait()
        stores.append(open_store(url=db_url, clock=lambda: 200.0))  # (its runs are from 1970)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stores) == 3 and all(s.available for s in stores), [s.problem for s in stores]
    assert all(s.load_run(done).series == done for s in stores)
