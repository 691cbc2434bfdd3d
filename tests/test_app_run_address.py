"""Every training page keeps its runs: a run trained by someone else opens from its address
(?run=<token>) read-only, with the page's own pictures, replay controls and "Train your own copy";
a comparison's address opens all of its runs. Real tiny runs, through the app's own manager and the
tests' temporary store (conftest sets LLMBREAKER_DB_URL)."""
from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from llmbreaker.engine.corpus import bundled_text
from llmbreaker.engine.model import ModelConfig
from llmbreaker.engine.session import State, TrainingRequest
from llmbreaker.ui.shell import get_manager

from conftest import TINY_MODEL, fresh_app, tiny_train

PAGES = {"cinema": "app_pages/cinema.py", "moe": "app_pages/moe.py", "lab": "app_pages/lab.py",
         "scaling": "app_pages/scaling.py", "style": "app_pages/style.py", "watch": "app_pages/watch.py"}
CONTROL_KEYS = ("play", "pause", "stop", "step", "resume", "add", "compare", "run", "exp_depth")


def requests_for(page: str) -> list[TrainingRequest]:
    poems = bundled_text("poems")
    if page == "moe":
        model = replace(TINY_MODEL, n_expert=2, expert_top_k=1, balance_loss=0.01)
        return [TrainingRequest(poems, model, tiny_train(), label="Poems"),
                TrainingRequest(poems, replace(model, balance_loss=0.0), tiny_train(), label="Poems")]
    if page == "lab":
        return [TrainingRequest(poems, TINY_MODEL, tiny_train(), label="Poems"),
                TrainingRequest(poems, replace(TINY_MODEL, position="none"), tiny_train(), label="Poems")]
    if page == "scaling":
        return [TrainingRequest(poems, ModelConfig(n_embd=n, n_layer=1, n_head=2, block_size=32),
                                tiny_train(max_steps=10_000, eval_interval=100, time_budget=0.6), label="Shakespeare") for n in (8, 16, 24)]
    if page == "style":
        email = (bundled_text("poems")[:1200])
        return [TrainingRequest(email, TINY_MODEL, tiny_train(), label="your text")]
    return [TrainingRequest(poems, TINY_MODEL, tiny_train(), label="Poems")]


def train_elsewhere(page: str) -> str:
    """Someone else's tab trains the page's default kind of run to its end; its address's token."""
    manager = get_manager()
    other = manager.session_for("someone-else", page)
    other.store_runs = True
    other.set_speed("max")
    for r in requests_for(page):
        other.enqueue(r)
    done = threading.Event()
    for _ in range(1200):
        other.drain()
        if other.state in (State.COMPLETED, State.STOPPED, State.ERROR) and not other.pending:
            break
        done.wait(0.1)
    assert other.state == State.COMPLETED, other.history.message
    assert manager.store.flush() and manager.store.available, manager.store.problem
    return other.series_token


@pytest.fixture(params=sorted(PAGES))
def page_and_app(request):
    for at in fresh_app(PAGES[request.param]):
        yield request.param, at


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [i.value for i in at.info] + [w.value for w in at.warning]
    parts += [c.value for c in at.caption] + [h.proto.body for h in at.html] + [e.value for e in at.error]
    parts += [p.proto.text for p in at.get("progress")]
    return "\n".join(parts)


def test_each_page_opens_someone_elses_run_read_only_and_replays_it(page_and_app):
    page, app = page_and_app
    app.run()  # the app's manager and store exist
    token = train_elsewhere(page)
    app.query_params["run"] = token
    app.run()
    assert not app.exception, app.exception
    text = texts(app)
    assert "Anyone with this page's address can view this run" in text
    n = len(requests_for(page))
    if n > 1:
        assert f"({n} runs)" in text  # a comparison's address opens all of its runs
    keys = {b.key for b in app.button}
    assert f"{page}_copy_run" in keys and f"{page}_rec_play" in keys
    assert not {f"{page}_{k}" for k in CONTROL_KEYS} & keys, keys  # nothing that trains or changes the run
    # The page's own pictures of the run (a chart at least), drawn from the store.
    assert app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart") or app.get("deck_gl_json_chart") \
        or app.get("arrow_data_frame") or app.get("plotly_chart") or "data-step" in text
    # Replay: from step 0, at the recorded pace, nothing trains.
    app.button(key=f"{page}_rec_play").click().run()
    assert not app.exception
    assert "replay at 1x" in texts(app)
    assert {f"{page}_rec_pause", f"{page}_rec_end"} <= {b.key for b in app.button}
    app.button(key=f"{page}_rec_end").click().run()
    assert not app.exception and "replay at" not in texts(app)
    # A viewer's tab trains nothing of its own.
    assert not [s for s in get_manager().all_sessions() if s.owner != "someone-else" and s.active]


def test_train_your_own_copy_of_a_comparison_queues_all_of_its_runs():
    for app in fresh_app(PAGES["lab"]):
        app.run()
        token = train_elsewhere("lab")
        app.query_params["run"] = token
        app.run()
        app.button(key="lab_copy_run").click().run()
        assert not app.exception
        mine = [s for s in get_manager().all_sessions() if s.page == "lab" and s.owner != "someone-else"]
        assert len(mine) == 1
        s = mine[0]
        assert len(s.pending) + 1 + len(s.finished) == 2  # both runs, in this tab, with its controls
        assert s.series_token and s.series_token != token
        assert app.query_params["run"] == s.series_token
        s.stop()


def test_the_style_page_keeps_nothing_unless_asked(tmp_path):
    """Private is the default on the Style page: the run has an address for this browser, but nothing
    of the person's text reaches the store."""
    for app in fresh_app(PAGES["style"]):
        app.run()
        assert app.toggle(key="style_private").value is True
        text = texts(app)
        assert "Nothing you paste is written anywhere" in text
        app.toggle(key="style_private").set_value(False).run()
        assert "anyone with this page's address can view them" in texts(app)
        app.toggle(key="style_private").set_value(True).run()
        manager = get_manager()
        before = set(manager.store.tokens())
        email = ("Hi team, quick note before Friday: the printer on the second floor is fixed, the coffee order "
                 "goes out on Monday, and please put your holiday dates in the shared sheet. Thanks, Priya. ") * 6
        app.text_area(key="style_text").set_value(email).run()
        app.segmented_control(key="style_speed").set_value("max").run()
        app.button(key="style_play").click().run()
        assert not app.exception
        s = next(s for s in manager.all_sessions() if s.page == "style")
        assert s.private and s.run_token and app.query_params["run"] == s.run_token
        s.stop()
        manager.store.flush()
        assert set(manager.store.tokens()) == before  # nothing was written


def test_a_reloaded_tab_of_the_same_browser_rejoins_its_run_on_any_page(monkeypatch):
    """A reload is a new Streamlit session of the same browser (the same cookie): it takes its run
    back, live, with its controls; a tab of another browser opening the same address only watches."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    import llmbreaker.ui.shell as common
    import llmbreaker.ui.widgets.run_address as run_address

    # AppTest gives every script run the same session id and no cookie: each "tab" says its own.
    browser = {"key": "browser-one", "tab": "tab-1"}
    monkeypatch.setattr(run_address, "browser_key", lambda: browser["key"])
    monkeypatch.setattr(common, "browser_session_id", lambda: browser["tab"])
    monkeypatch.setattr(run_address, "browser_session_id", lambda: browser["tab"])
    for app in fresh_app(PAGES["cinema"]):
        app.run()
        app.segmented_control(key="cinema_speed").set_value("1x").run()
        app.button(key="cinema_play").click().run()
        assert not app.exception
        token = app.query_params["run"]
        s = next(s for s in get_manager().all_sessions() if s.page == "cinema")
        assert s.active and token == s.run_token

        script = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
        browser["tab"] = "tab-1-reloaded"
        reloaded = AppTest.from_file(script, default_timeout=60)
        reloaded.switch_page(PAGES["cinema"])
        reloaded.query_params["run"] = token
        reloaded.run()
        assert not reloaded.exception
        keys = {b.key for b in reloaded.button}
        assert "cinema_pause" in keys and "cinema_copy_run" not in keys  # its own run, with its controls
        assert s.active and [x for x in get_manager().all_sessions() if x.page == "cinema"] == [s]

        browser.update(key="browser-two", tab="tab-2")  # a friend, while it trains
        friend = AppTest.from_file(script, default_timeout=60)
        friend.switch_page(PAGES["cinema"])
        friend.query_params["run"] = token
        friend.run()
        assert not friend.exception
        keys = {b.key for b in friend.button}
        assert "cinema_copy_run" in keys and "cinema_pause" not in keys
        assert "watching a run on" in texts(friend) and "watching it live" in texts(friend)
        assert s.active  # the friend's tab changed nothing
        s.stop()
