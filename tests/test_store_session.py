"""Training sessions write their runs to the store: request at start, each checkpoint, the end."""
import pytest

from llmbreaker.engine.session import SessionManager, State, request_from_settings
from llmbreaker.engine.store import RunStore

from conftest import assert_no_trainer_threads


@pytest.fixture
def store(tmp_path):
    s = RunStore(f"sqlite:///{tmp_path / 'runs.db'}")
    yield s
    s.close()


@pytest.fixture
def kept(store):
    m = SessionManager(max_running=2, store=store)
    yield m
    m.shutdown()
    assert_no_trainer_threads()


def wait_for(cond, timeout=60.0):
    import threading
    ev = threading.Event()
    while not cond():
        if ev.wait(0.05) or timeout <= 0:
            break
        timeout -= 0.05
    assert cond()


def test_a_kept_run_is_written_with_its_request_checkpoints_losses_and_model(kept, store, tiny_request):
    s = kept.session_for("tab", "watch")
    s.store_runs = True
    s.set_speed("max")
    req = tiny_request()
    s.play(req)
    token = s.run_token
    assert len(token) >= 16 and kept.session_by_token(token) is s
    wait_for(lambda: s.state == State.COMPLETED)
    assert store.flush()
    run = store.load_run(token)
    assert run.state == "completed" and run.page == "watch" and run.label == "Poems" and run.text == req.text
    assert [c.step for c in run.checkpoints] == req.train.checkpoint_steps()
    assert run.steps == list(range(1, req.train.max_steps + 1)) and run.step == req.train.max_steps
    assert run.model_file and run.info["vocab"] and run.info["parameters"] > 0
    again = request_from_settings(run.text, run.label, run.settings)
    assert again == req  # "Train your own copy" trains exactly the same thing


def test_stop_is_stopped_and_a_server_shutdown_is_interrupted(kept, store, tiny_request):
    a, b = kept.session_for("tab", "watch"), kept.session_for("tab2", "watch")
    for s in (a, b):
        s.store_runs = True
        s.play(tiny_request(max_steps=5000, eval_interval=50))
    wait_for(lambda: store.flush() and all(len(store.load_run(s.run_token).checkpoints) >= 2 for s in (a, b)))
    a.stop()
    kept.shutdown()
    assert store.flush()
    assert store.load_run(a.run_token).state == "stopped"
    assert store.load_run(b.run_token).state == "interrupted"


def test_a_page_that_does_not_keep_runs_writes_nothing(kept, store, tiny_request):
    s = kept.session_for("tab", "lab")
    s.set_speed("max")
    s.play(tiny_request())
    wait_for(lambda: s.state == State.COMPLETED)
    assert s.run_token == "" and store.flush() and store.tokens() == []


def test_a_broken_store_does_not_stop_training(tmp_path, tiny_request):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage " * 100)
    store = RunStore(f"sqlite:///{bad}")
    m = SessionManager(max_running=1, store=store)
    try:
        s = m.session_for("tab", "watch")
        s.store_runs = True
        s.set_speed("max")
        s.play(tiny_request())
        wait_for(lambda: s.state == State.COMPLETED)
        assert not store.available and s.history is not None
    finally:
        m.shutdown()
        store.close()
