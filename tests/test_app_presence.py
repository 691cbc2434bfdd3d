"""What the Watch page says about a run that cannot train yet, through AppTest: a run waiting in
line says only that (with its place), one that builds its model says so, and the sidebar shows
the server's trainers as they are."""
import threading

import pytest

from llmbreaker.engine.session import State, TrainingRequest
from llmbreaker.engine.trainer import Trainer
from llmbreaker.ui.shell import get_manager

from conftest import TINY_MODEL, fresh_app, tiny_train
from test_session import wait_for


@pytest.fixture
def app():
    yield from fresh_app("app_pages/watch.py")


def progress_text(at) -> str:
    return at.get("progress")[0].proto.text


def notes(at) -> str:
    return " ".join(i.value for i in at.info)


def the_session():
    [s] = [s for s in get_manager().all_sessions() if s.page == "watch" and s.owner != "someone-else"]
    return s


def test_a_run_waiting_for_a_trainer_says_so_and_nothing_else(app, poems):
    app.run()
    manager = get_manager()
    manager.max_running = 1
    other = manager.session_for("someone-else", "watch")  # another person's run holds the only trainer
    other.play(TrainingRequest(poems, TINY_MODEL, tiny_train(max_steps=5000, eval_interval=500)))
    wait_for(lambda: other.state == State.RUNNING, what="the other run")
    app.button(key="watch_play").click().run()
    s = the_session()
    wait_for(lambda: s.queue_position() == 1, what="in line")
    app.run()
    assert progress_text(app).endswith("· waiting for a free trainer (1 in line)")
    assert "Preparing" not in notes(app), "a run in line must not claim its model is being prepared"
    assert "This server: 1 of 1 trainer busy · 1 waiting" in " ".join(c.value for c in app.sidebar.caption)
    other.stop()
    wait_for(lambda: s.state in (State.RUNNING, State.PREPARING), what="the slot to pass to this run")
    app.run()
    assert "waiting" not in progress_text(app)


def test_a_run_building_its_model_says_preparing_not_waiting(app):
    built, release = threading.Event(), threading.Event()

    def slow(r):
        built.set()
        release.wait(20)
        return Trainer(r.text, r.model, r.train)

    app.run()
    s = the_session()
    s._make_trainer = slow
    app.button(key="watch_play").click().run()
    try:
        assert built.wait(20)
        app.run()
        assert "preparing the model" in progress_text(app) and "waiting" not in progress_text(app)
        assert "Preparing the model" in notes(app)
        assert app.button(key="watch_pause")  # it can be paused (or stopped) while it builds
        assert not app.button(key="watch_stop").disabled
    finally:
        release.set()
    wait_for(lambda: s.state == State.RUNNING, what="training once built")
