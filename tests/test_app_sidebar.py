"""The sidebar's runs (docs/design.md §Consistency): its counts agree with the list under them, and it says the
step the page says, after Step too."""
import re
import time
from types import SimpleNamespace

import pytest

from llmbreaker.engine.session import State
from llmbreaker.ui import shell as common
from llmbreaker.ui.widgets import controls
from llmbreaker.ui.shell import get_manager, runs_headline

from conftest import fresh_app


@pytest.fixture
def app():
    yield from fresh_app("app_pages/watch.py")


def _sessions(*states):
    return [SimpleNamespace(active=s in (State.RUNNING, State.PAUSED, State.WAITING, State.PREPARING)) for s in states]


def test_the_headline_counts_every_run_it_lists():
    assert runs_headline(_sessions(State.COMPLETED)) == "**0 active sessions** · 1 ended run listed"
    assert runs_headline(_sessions(State.RUNNING, State.PAUSED)) == "**2 active sessions**"
    assert runs_headline(_sessions(State.RUNNING, State.STOPPED, State.COMPLETED)) == \
        "**1 active session** · 2 ended runs listed"
    assert runs_headline([]) == "**0 active sessions**"


def _sidebar_step(app) -> int:
    badges = " ".join(h.proto.body for h in app.sidebar.get("html"))
    return int(re.search(r"step ([\d,]+)", badges).group(1).replace(",", ""))


def _page_step(app) -> int:
    text = app.get("progress")[0].proto.text
    return int(re.search(r"Step ([\d,]+)", text).group(1).replace(",", ""))


def test_the_sidebar_is_drawn_after_the_page_so_it_says_the_pages_step(app, monkeypatch):
    order = []
    indicator, follow = common.sessions_indicator, controls.follow_run
    monkeypatch.setattr(common, "sessions_indicator", lambda: (order.append("sidebar"), indicator())[1])
    monkeypatch.setattr(controls, "follow_run", lambda *a, **k: (order.append("page"), follow(*a, **k))[1])
    app.run()
    app.number_input(key="watch_steps").set_value(3000)
    app.run()
    app.button(key="watch_play").click().run()
    assert not app.exception
    assert order.index("sidebar") > order.index("page")  # drawn from what the page has just read
    session = next(s for s in get_manager().all_sessions() if s.page == "watch")
    end = time.monotonic() + 60
    while session.history.step < 3 and time.monotonic() < end:
        session.drain()
        time.sleep(0.05)
    app.button(key="watch_pause").click().run()
    end = time.monotonic() + 30
    while session.state != State.PAUSED and time.monotonic() < end:
        time.sleep(0.05)
    # Paused: the last step's loss is queued before the state turns; wait until it has been read.
    while session.drain() or session.history.step != session.trainer.step_count:
        assert time.monotonic() < end, "the paused run's last step never reached its history"
        time.sleep(0.02)
    app.run()
    before = _page_step(app)
    assert _sidebar_step(app) == before
    for n in (1, 2):
        app.button(key="watch_step").click().run()
        end = time.monotonic() + 10
        while session.drain() is not None and session.history.step < before + n and time.monotonic() < end:
            time.sleep(0.02)  # until the step's loss has reached the history
        app.run()
        assert _page_step(app) == _sidebar_step(app) == before + n
    assert "1 active session" in " ".join(m.value for m in app.sidebar.markdown)
