"""The Watch It Learn page, driven through Streamlit's AppTest (no browser)."""
import re
import time
from pathlib import Path

import pytest

from llmbreaker.engine.session import State
from llmbreaker.ui.shell import get_manager

from conftest import fresh_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app():
    yield from fresh_app("app_pages/watch.py")  # "/" is the landing page; this page lives at /watch


def the_session(page="watch"):
    sessions = [s for s in get_manager().all_sessions() if s.page == page]
    assert len(sessions) == 1
    return sessions[0]


def small_run(at):
    """Short settings so a run ends in a few seconds: the same widgets a person would use."""
    at.number_input(key="watch_steps").set_value(200)
    at.number_input(key="watch_interval").set_value(50)
    at.segmented_control(key="watch_speed").set_value("max")
    at.run()


def test_page_shows_datasets_with_metadata_and_controls_with_help(app):
    app.run()
    assert not app.exception
    picker = app.selectbox(key="watch_dataset")
    assert picker.options == ["Shakespeare", "Poems", "Children's stories", "Your own file (.txt)"]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Vocabulary"] in {str(n) for n in range(60, 70)}
    assert int(metrics["Characters"].replace(",", "")) > 1_000_000
    picker.set_value("poems").run()
    metrics = {m.label: m.value for m in app.metric}
    assert 40_000 <= int(metrics["Characters"].replace(",", "")) < 100_000
    for key in ("watch_play", "watch_step", "watch_stop"):
        assert app.button(key=key).help
    assert app.button(key="watch_step").disabled and app.button(key="watch_stop").disabled
    assert app.segmented_control(key="watch_speed").value == "1x"
    speed = app.segmented_control(key="watch_speed")
    assert speed.options == ["0.25x", "0.5x", "1x", "2x", "5x", "10x", "max"]  # slower ones for explaining
    for label in speed.options:  # the help says what each one means
        assert f"**{label}**:" in speed.help
    assert "4 times slower" in speed.help and "unpaced" in speed.help and "fitted to 25 s" in speed.help


def test_the_keys_are_button_shortcuts_and_the_sidebar_lists_them(app):
    app.run()
    assert app.button(key="watch_play").proto.shortcut == "space"
    assert app.button(key="watch_step").proto.shortcut == "right"
    sidebar = " ".join(c.value for c in app.sidebar.caption)
    assert "Keys: **Space** play / pause" in sidebar and "**→** step" in sidebar


def test_at_a_slow_speed_the_progress_line_says_it_is_slow_motion(app):
    app.run()
    app.selectbox(key="watch_dataset").set_value("poems").run()
    app.segmented_control(key="watch_speed").set_value("0.25x").run()
    app.button(key="watch_play").click().run()
    s = the_session()
    deadline = time.monotonic() + 60
    while s.state != State.RUNNING and time.monotonic() < deadline:
        time.sleep(0.05)
    app.run()
    line = app.get("progress")[0].proto.text
    assert "training" in line and "slow motion, 4x slower" in line, line
    s.stop()


def test_the_keys_script_is_a_constant_that_streamlits_sanitiser_keeps():
    # Streamlit's HTML sanitiser drops a whole script whose text holds "<" before a letter, "/" or
    # "!" (a comment that named "<html>" did): then no key kept its focus.
    from llmbreaker.ui.widgets.keys import SCRIPT

    body = SCRIPT.split("<script>", 1)[1].rsplit("</script>", 1)[0]
    assert SCRIPT.count("<script>") == 1 and not re.search(r"<[/\w!]", body)


def test_a_link_may_set_a_slow_speed(app):
    app.query_params["watch_speed"] = "0.25x"
    app.run()
    assert app.segmented_control(key="watch_speed").value == "0.25x"
    assert not any("speed" in w.value for w in app.warning)


def test_play_trains_and_draws_chart_samples_and_next_token_bars(app):
    app.run()
    app.selectbox(key="watch_dataset").set_value("poems").run()
    small_run(app)
    app.button(key="watch_play").click().run()
    s = the_session()
    assert s.request.label == "Poems" and s.request.train.max_steps == 200
    deadline = time.monotonic() + 60
    while s.state != State.COMPLETED and time.monotonic() < deadline:
        time.sleep(0.2)
    app.run()  # the fragment's tick: drain and redraw
    app.run()  # the rerun the fragment asks for when the state changed
    assert not app.exception
    assert app.button(key="watch_play").label == "Replay"
    charts = [el for el in app.get("arrow_vega_lite_chart")] or app.get("vega_lite_chart")
    assert len(charts) >= 2  # loss curve and next-token bars
    html = " ".join(h.proto.body for h in app.html)
    assert "Step 200" in html and "Step 0" in html
    assert "Step 200 / 200" in app.get("progress")[0].proto.text


def test_new_dataset_mid_run_asks_before_stopping(app):
    app.run()
    app.button(key="watch_play").click().run()
    s = the_session()
    assert s.active
    app.selectbox(key="watch_dataset").set_value("poems").run()
    assert any("Stop current training?" in w.value for w in app.warning)
    assert s.active  # nothing stopped yet
    app.button(key="watch_switch_no").click().run()
    assert app.selectbox(key="watch_dataset").value == "shakespeare" and s.active
    app.selectbox(key="watch_dataset").set_value("poems").run()
    app.button(key="watch_switch_yes").click().run()
    assert s.state == State.STOPPED
    assert app.selectbox(key="watch_dataset").value == "poems"
    assert not app.warning


def test_pause_step_and_stop_from_the_page(app):
    app.run()
    app.button(key="watch_play").click().run()
    s = the_session()
    app.button(key="watch_pause").click().run()
    deadline = time.monotonic() + 30
    while s.state != State.PAUSED and time.monotonic() < deadline:
        time.sleep(0.05)
    app.run()
    assert not app.button(key="watch_step").disabled
    before = s.trainer.step_count
    app.button(key="watch_step").click().run()
    deadline = time.monotonic() + 10
    while s.trainer.step_count == before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert s.trainer.step_count == before + 1
    app.button(key="watch_stop").click().run()
    assert s.state == State.STOPPED and not s.thread_alive


def test_uploading_a_txt_file_shows_its_metadata_and_trains_on_it(app):
    app.run()
    app.selectbox(key="watch_dataset").set_value("upload").run()
    assert app.button(key="watch_play").disabled  # nothing to train on yet
    text = ("The rain fell on the old red roof, and the cat sat by the fire. " * 40).encode("cp1252")
    app.file_uploader(key="watch_upload").upload("my notes.txt", text, "text/plain").run()
    assert not app.exception and not app.error
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Characters"] == f"{len(text):,}" and metrics["Words"] == f"{15 * 40:,}"
    assert not app.button(key="watch_play").disabled
    small_run(app)
    app.button(key="watch_play").click().run()
    s = the_session()
    assert s.request.label == "your file my notes.txt" and s.request.text == text.decode("cp1252")
    s.stop()


def test_a_bad_upload_shows_the_error_and_keeps_the_earlier_file(app):
    app.run()
    app.selectbox(key="watch_dataset").set_value("upload").run()
    good = ("A good plain text file with enough words to train on. " * 30).encode()
    app.file_uploader(key="watch_upload").upload("good.txt", good, "text/plain").run()
    app.file_uploader(key="watch_upload").upload("bad.txt", b"\x00\x01\x02binary" * 50, "text/plain").run()
    errors = " ".join(e.value for e in app.error)
    assert "This file could not be read as text" in errors and "Still using your earlier file 'good.txt'" in errors
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Characters"] == f"{len(good):,}"


def test_training_goes_on_while_the_person_is_on_another_page(app):
    app.run()
    app.button(key="watch_play").click().run()
    s = the_session()
    app.switch_page("app_pages/inside.py").run()
    assert not app.exception
    step_then = s.trainer.step_count if s.trainer else 0
    deadline = time.monotonic() + 60
    while not (s.trainer and s.trainer.step_count > step_then) and s.active and time.monotonic() < deadline:
        time.sleep(0.05)  # waits for training to go on, however busy the machine
    assert s.active and s.trainer.step_count > step_then
    app.switch_page("app_pages/watch.py").run()
    assert the_session() is s and s.active
    assert s.history.step > 0  # the backlog was drained on return
    assert "Step" in app.get("progress")[0].proto.text


def test_the_sidebar_lists_every_session_of_the_tab_with_state_and_progress(app):
    app.run()
    app.button(key="watch_play").click().run()
    app.switch_page("app_pages/cinema.py").run()
    app.button(key="cinema_play").click().run()
    watch = the_session("watch")
    deadline = time.monotonic() + 60
    while not (watch.trainer and watch.trainer.step_count > 0) and time.monotonic() < deadline:
        time.sleep(0.05)  # until Watch's run has stepped (its first loss is queued at once), however busy the machine
    app.run()
    sidebar = " ".join(m.value for m in app.sidebar.markdown)
    assert "2 active sessions" in sidebar
    badges = " ".join(h.proto.body for h in app.sidebar.get("html"))
    assert badges.count("lb-state") == 2 and "step" in badges
    assert watch.history.step > 0  # drained by the sidebar while its page is not shown
    get_manager().shutdown()
    app.run()
    assert "0 active sessions" in " ".join(m.value for m in app.sidebar.markdown)


def test_a_shared_link_sets_the_page_up_and_bad_values_get_a_note(app):
    app.query_params["watch_dataset"] = "Poems"  # links name the choices as the page shows them
    app.query_params["watch_size"] = "Deeper"
    app.query_params["watch_speed"] = "max"
    app.query_params["watch_steps"] = "1000"
    app.query_params["watch_lr"] = "7"
    app.run()
    assert not app.exception
    assert app.selectbox(key="watch_dataset").value == "poems"
    assert app.segmented_control(key="watch_speed").value == "max"
    assert app.number_input(key="watch_steps").value == 1000
    notes = " ".join(w.value for w in app.warning)
    assert "learning rate to '7', which is not allowed" in notes
    assert app.select_slider(key="watch_lr").value == 2e-2  # the default
    app.button(key="watch_play").click().run()
    s = the_session()
    assert s.speed == "max" and s.request.label == "Poems" and s.request.train.max_steps == 1000
    assert (s.request.model.n_layer, s.request.model.n_head) == (3, 4)
    s.stop()


def test_workshop_mode_is_one_switch_remembered_and_settable_by_link(app):
    app.query_params["workshop"] = "true"
    app.run()
    assert app.sidebar.toggle(key="workshop").value is True
    assert any("Workshop mode" in h.proto.body for h in app.get("html"))  # its stylesheet
    app.switch_page("app_pages/cinema.py").run()
    assert app.sidebar.toggle(key="workshop").value is True  # remembered across pages
    app.sidebar.toggle(key="workshop").set_value(False).run()
    assert not any("Workshop mode" in h.proto.body for h in app.get("html"))
