"""The Attention Evolution Cinema page, driven through Streamlit's AppTest (no browser).

Runs are short (300 steps, a checkpoint every 50, speed max: 7 checkpoints at steps 0, 50, ..., 300)
and set through the same widgets a person would use.
"""
import json
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from llmbreaker.engine.session import State
from llmbreaker.ui.shell import get_manager

from conftest import trainer_threads

ROOT = Path(__file__).resolve().parent.parent
PAGE = "cinema"
HEADS_2x2 = ["Layer 1 · Head 1", "Layer 1 · Head 2", "Layer 2 · Head 1", "Layer 2 · Head 2"]


@pytest.fixture
def app():
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/cinema.py").run()
    assert not at.exception, at.exception
    yield at
    get_manager().shutdown()
    st.cache_resource.clear()
    assert trainer_threads() == []


def the_session(page=PAGE):
    sessions = [s for s in get_manager().all_sessions() if s.page == page]
    assert len(sessions) == 1
    return sessions[0]


def small_run(at, size=None):
    """Short settings so a run ends in a few seconds: the same widgets a person would use."""
    if size is not None:
        at.radio(key="cinema_size").set_value(size)
    at.number_input(key="cinema_steps").set_value(300)
    at.number_input(key="cinema_interval").set_value(50)
    at.segmented_control(key="cinema_speed").set_value("max")
    at.run()


def play_to_the_end(at, timeout=90):
    """Press Play, wait for the background run to complete, then let the page catch up."""
    at.button(key="cinema_play").click().run()
    assert not at.exception, at.exception
    s = the_session()
    deadline = time.monotonic() + timeout
    while s.state != State.COMPLETED and time.monotonic() < deadline:
        assert s.state not in (State.ERROR, State.STOPPED), f"the run ended as {s.state}: {s.history.message}"
        time.sleep(0.2)
    assert s.state == State.COMPLETED, f"the run did not complete within {timeout} s (state {s.state})"
    at.run()  # the fragment's tick: drain and redraw
    at.run()  # the rerun the fragment asks for when the state changed
    assert not at.exception, at.exception
    return s


def charts(at):
    """The Vega-Lite charts on the page, as (element, spec dict)."""
    els = list(at.get("arrow_vega_lite_chart")) or list(at.get("vega_lite_chart"))
    return [(el, json.loads(el.proto.spec)) for el in els]


def _title(spec):
    t = spec.get("title")
    return t.get("text") if isinstance(t, dict) else t


def heatmaps(at):
    """Specs of the attention heatmaps (data named "cells"), in page order."""
    return [spec for _, spec in charts(at) if spec.get("data", {}).get("name") == "cells"]


def heading(at):
    heads = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert len(heads) == 1, heads
    return heads[0][5:]


def open_buttons(at):
    return [b for b in at.button if b.key and b.key.startswith("cinema_open_")]


def html_text(at):
    return " ".join(h.proto.body for h in at.html)


def test_before_play_the_idle_grid_is_shown(app):
    assert not app.exception
    maps = heatmaps(app)
    assert len(maps) == 4, f"idle grid should have 2 x 2 heatmaps, found {len(maps)}"
    assert [_title(s) for s in maps] == HEADS_2x2
    assert not open_buttons(app)  # nothing to open yet
    assert any("Press **Play**" in i.value for i in app.info)
    assert "cinema_autoplay" not in [b.key for b in app.button]  # no checkpoints, no film to play
    assert app.button(key="cinema_play").label == "Play"


def test_idle_grid_follows_the_chosen_model_size(app):
    """Before the first Play, the idle grid previews the heads the chosen model will have."""
    app.radio(key="cinema_size").set_value("deeper").run()
    assert not app.exception, app.exception
    maps = heatmaps(app)
    assert len(maps) == 12, f"the 'deeper' model has 3 layers x 4 heads; the idle grid shows {len(maps)}"


def test_a_short_run_shows_the_grid_open_buttons_and_reading_aids(app):
    small_run(app)
    s = play_to_the_end(app)
    assert s.request.train.max_steps == 300 and s.request.train.eval_interval == 50
    assert [c.step for c in s.history.checkpoints] == [0, 50, 100, 150, 200, 250, 300]
    assert heading(app) == "Step 300 · checkpoint 7 of 7"
    maps = heatmaps(app)
    assert [_title(m) for m in maps] == HEADS_2x2
    entropy = [spec for _, spec in charts(app) if any(layer.get("data", {}).get("name") == "entropy"
                                                      for layer in spec.get("layer", []))]
    assert len(entropy) == 1, "the entropy chart is missing"
    assert len(charts(app)) == 5  # 2 x 2 heatmaps + the entropy chart
    assert sorted(b.key for b in open_buttons(app)) == [f"cinema_open_{l}_{h}" for l in range(2) for h in range(2)]
    assert all(b.label == "Open" for b in open_buttons(app))
    aids = html_text(app)
    assert "<li>" in aids
    for name in HEADS_2x2:
        assert f"<li>{name} " in aids, f"the reading aids say nothing about {name}"
    assert app.slider(key="cinema_scrub").value == 300
    assert app.button(key="cinema_next").disabled and not app.button(key="cinema_prev").disabled
    assert not app.button(key="cinema_autoplay").disabled
    assert {b.key for b in app.get("download_button")} >= {"cinema_dl_json", "cinema_dl_svg"}


def test_open_shows_that_head_in_detail(app):
    small_run(app)
    play_to_the_end(app)
    app.button(key="cinema_open_1_0").click().run()
    assert not app.exception, app.exception
    assert app.segmented_control(key="cinema_mode").value == "Detail"
    assert app.selectbox(key="cinema_layer").value == 1
    assert app.selectbox(key="cinema_head").value == 0
    maps = heatmaps(app)
    assert len(maps) == 1, f"Detail should show one heatmap, found {len(maps)}"
    assert _title(maps[0]) == "Layer 2 · Head 1 · step 300"
    assert maps[0]["encoding"]["x"]["axis"]["title"] == "Key: the character looked at"
    probe = "".join(the_session().history.probe_tokens)
    assert "Probe text:" in html_text(app)
    assert len(probe) == 64


def test_prev_and_a_step_between_checkpoints(app):
    small_run(app)
    play_to_the_end(app)
    app.button(key="cinema_prev").click().run()
    assert not app.exception, app.exception
    assert heading(app) == "Step 250 · checkpoint 6 of 7"
    assert app.slider(key="cinema_scrub").value == 250
    app.slider(key="cinema_scrub").set_value(275).run()
    assert not app.exception, app.exception
    assert "blend of checkpoints at steps 250 and 300" in heading(app), heading(app)
    assert heading(app) == "Step 275 · blend of checkpoints at steps 250 and 300"


def test_3d_view_draws_a_deck(app):
    small_run(app)
    play_to_the_end(app)
    app.segmented_control(key="cinema_mode").set_value("3D").run()
    assert not app.exception, app.exception
    decks = app.get("deck_gl_json_chart")
    assert len(decks) == 1, "3D mode should draw one pydeck chart"
    spec = json.loads(decks[0].proto.json)
    assert spec["layers"][0]["@@type"] == "ColumnLayer"
    assert not any("not available" in i.value for i in app.info)


def test_deeper_model_shows_every_layer_and_head(app):
    small_run(app, size="deeper")
    s = play_to_the_end(app, timeout=120)
    assert (s.request.model.n_layer, s.request.model.n_head) == (3, 4)
    maps = heatmaps(app)
    assert len(maps) == 12, f"a 3 x 4 model should show 12 heatmaps, found {len(maps)}"
    assert [_title(m) for m in maps] == [f"Layer {l} · Head {h}" for l in (1, 2, 3) for h in (1, 2, 3, 4)]
    assert len(open_buttons(app)) == 12
    aids = html_text(app)
    assert "Layer 3 · Head 4" in aids


def test_own_probe_text_is_cut_to_one_block(app):
    text = ("the cat sat on the mat and the dog ran far " * 3)[:100]
    assert len(text) == 100
    small_run(app)
    app.radio(key="cinema_probe_kind").set_value("own").run()
    app.text_input(key="cinema_probe_text").set_value(text).run()
    assert not app.exception, app.exception
    captions = " ".join(c.value for c in app.caption)
    assert "Only the first 64 characters are used" in captions, captions
    s = play_to_the_end(app)
    assert s.request.train.probe_text == text
    assert "".join(s.history.probe_tokens) == text[:64]
    app.button(key="cinema_open_0_0").click().run()
    assert text[:64] in html_text(app).replace("␣", " ")
