"""Store faults (docs/design.md §Runs): a full disk, a locked file, a server that cannot be reached.
Training never sees them (the store turns itself unavailable, with a problem in words); the direct
calls of "Your runs" raise StoreError with a message the page shows as it is."""
import errno
import sqlite3
import threading

import pytest
from sqlalchemy import event

from llmbreaker.engine.session import SessionManager, State
from llmbreaker.engine.store import RunStore, StoreError, new_token
from llmbreaker.engine.store import db as store_db

from conftest import assert_no_trainer_threads
from test_store import checkpoint, db_url, open_store, write_run  # noqa: F401  (fixtures)

OWNER = "a" * 32
FULL = [lambda: OSError(errno.ENOSPC, "No space left on device"),
        lambda: sqlite3.OperationalError("database or disk is full")]


def fill_disk(store, exc_factory, only_writes=True):
    """Every statement that writes (or every statement) fails as on a full disk from now on."""
    def fail(conn, cursor, statement, *args):
        if not only_writes or statement.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            raise exc_factory()
    event.listen(store.engine, "before_cursor_execute", fail)
    return lambda: event.remove(store.engine, "before_cursor_execute", fail)


@pytest.mark.parametrize("exc", FULL, ids=["ENOSPC", "sqlite-full"])
def test_a_full_disk_turns_the_store_unavailable_and_nothing_raises_into_the_writes(open_store, exc):
    store = open_store()
    token = write_run(store, finish=None)
    assert store.flush()
    fill_disk(store, exc)
    store.add_checkpoint(token, checkpoint(99))  # must not raise
    store.finish_run(token, "completed", model_file=b"m")
    assert store.flush()
    assert not store.available and store.problem == "Runs are not kept: the disk is full."
    write_run(store)  # dropped quietly
    assert store.flush()
    with pytest.raises(StoreError, match="the disk is full"):
        store.list_runs(OWNER)


@pytest.mark.parametrize("exc", FULL, ids=["ENOSPC", "sqlite-full"])
def test_a_full_disk_fails_a_rename_delete_or_import_with_a_message_and_keeps_the_store(open_store, exc):
    store = open_store()
    token = new_token()
    store.start_run(token, "watch", "Poems", {}, "text", 10, owner=OWNER)
    store.finish_run(token, "completed")
    assert store.flush()
    data = store.export_run(token)
    undo = fill_disk(store, exc)
    for call, words in ((lambda: store.rename(token, OWNER, "x"), "could not be renamed"),
                        (lambda: store.delete(token, OWNER), "could not be deleted"),
                        (lambda: store.import_run(data, OWNER), "could not be imported")):
        with pytest.raises(StoreError) as e:
            call()
        assert words in str(e.value) and "the disk is full" in str(e.value) and "Try again" in str(e.value)
    undo()
    assert store.available  # a person's write that failed is theirs to retry; the store goes on
    assert store.rename(token, OWNER, "kept") and store.list_runs(OWNER)[0].title == "kept"


def test_a_full_disk_while_training_keeps_training(tmp_path, tiny_request):
    store = RunStore(f"sqlite:///{tmp_path / 'runs.db'}")
    m = SessionManager(max_running=1, store=store)
    try:
        fill_disk(store, FULL[0])
        s = m.session_for("tab", "watch")
        s.store_runs = True
        s.set_speed("max")
        s.play(tiny_request())
        done = threading.Event()
        while s.state not in (State.COMPLETED, State.ERROR) and not done.wait(0.05):
            s.drain()
        assert s.state == State.COMPLETED
        assert store.flush() and not store.available and "disk is full" in store.problem
    finally:
        m.shutdown()
        store.close()
        assert_no_trainer_threads()


def test_a_locked_database_fails_the_direct_calls_with_a_message(tmp_path, open_store, db_url, monkeypatch):
    if not db_url.startswith("sqlite"):
        pytest.skip("a lock on an SQLite file")
    monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT", 0.1)
    store = open_store()
    token = new_token()
    store.start_run(token, "watch", "Poems", {}, "text", 10, owner=OWNER)
    store.finish_run(token, "completed")
    assert store.flush()
    blocker = sqlite3.connect(store.engine.url.database)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        for call in (lambda: store.rename(token, OWNER, "x"), lambda: store.delete(token, OWNER)):
            with pytest.raises(StoreError, match="locked by another program"):
                call()
    finally:
        blocker.rollback()
        blocker.close()
    assert store.available and store.delete(token, OWNER)


def test_an_unreachable_postgresql_server_leaves_the_store_unavailable_with_a_message():
    pytest.importorskip("psycopg")
    import socket
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = RunStore(f"postgresql+psycopg://nobody@127.0.0.1:{port}/runs")
    try:
        assert not store.available
        assert store.problem == "Runs are not kept: its database server cannot be reached."
        write_run(store)  # nothing raises
        assert store.flush()
        with pytest.raises(StoreError, match="cannot be reached"):
            store.list_runs(OWNER)
        assert "127.0.0.1" in store.where and "nobody" in store.where
    finally:
        store.close()


def test_a_url_of_an_unknown_database_kind_is_a_problem_not_a_crash():
    store = RunStore("nosuchdb://x/y")
    try:
        assert not store.available and store.problem.startswith("Runs are not kept")
    finally:
        store.close()
