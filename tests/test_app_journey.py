"""The journey pages through AppTest: each renders on the bundled default model, says which model
it shows, and does what its controls promise; after a run on Watch, they use that model instead."""
import json
import re
import time

import pytest

from llmbreaker.lessons.journey import DEFAULT_LABEL
from llmbreaker.engine.session import State
from llmbreaker.ui.shell import PAGES, get_manager
from llmbreaker.lessons.explain import EXPLAIN, explain

from conftest import fresh_app

JOURNEY_PAGES = ["journey", "tokens", "microscope", "follow", "sampling"]


@pytest.fixture
def app():
    yield from fresh_app()


def open_page(app, key):
    app.switch_page(PAGES[key][1]).run()
    assert not app.exception, app.exception
    return app


def html_text(app) -> str:
    return " ".join(h.proto.body for h in app.get("html"))


def captions(app) -> str:
    return " ".join(c.value for c in app.caption)


@pytest.mark.parametrize("key", JOURNEY_PAGES)
def test_each_journey_page_has_its_header_and_explanation_and_is_in_the_sidebar(app, key):
    from llmbreaker.ui.shell import PAGE_SECTIONS
    assert key in PAGE_SECTIONS["Look inside"]
    open_page(app, key)
    assert PAGES[key][0] in html_text(app)
    expander = [e for e in app.expander if e.label == "What am I looking at?"]
    assert len(expander) == 1 and " ".join(m.value for m in expander[0].markdown) == explain(key)
    assert get_manager().all_sessions() == []  # looking starts no training


@pytest.mark.parametrize("key", ["microscope", "follow", "sampling", "tokens"])
def test_without_a_trained_model_the_default_one_is_shown_and_named(app, key):
    open_page(app, key)
    picker = app.selectbox(key=f"{key}_model")
    assert picker.options == [DEFAULT_LABEL, "Pretrained English base · 6.2 M characters read"]
    assert "default model" in captions(app) and "Shakespeare" in captions(app)


@pytest.mark.parametrize("key", ["microscope", "follow", "sampling", "tokens"])
def test_the_pretrained_english_base_can_be_chosen_and_is_named(app, key):
    open_page(app, key)
    app.selectbox(key=f"{key}_model").set_value("english-base").run()
    assert not app.exception, app.exception
    assert "pretrained English base" in captions(app) and "6.2 million characters" in captions(app)
    assert not app.error, [e.value for e in app.error]


def test_the_microscope_matches_the_models_forward_and_follows_layer_head_and_query(app):
    open_page(app, "microscope")
    check = re.search(r"at most \*\*([0-9.e+-]+)\*\*", captions(app))
    assert check and float(check.group(1)) < 1e-5
    charts = len(app.get("vega_lite_chart"))
    assert charts >= 15  # a picture for every step
    assert "Layer 1, head 1" in " ".join(m.value for m in app.markdown)
    app.selectbox(key="microscope_layer").set_value(1).run()
    app.selectbox(key="microscope_head").set_value(1).run()
    assert not app.exception
    assert "Layer 2, head 2" in " ".join(m.value for m in app.markdown)
    # the last layer ends in the next-character probabilities
    assert any("Next-character probabilities" in m.value for m in app.markdown)
    app.text_area(key="microscope_prompt_default").input("To be").run()
    assert not app.exception
    slider = app.select_slider(key="microscope_query_default_5")
    assert slider.value == 4  # the last character by default
    slider.set_value(1).run()
    assert "following **o** (position 1)" in " ".join(m.value for m in app.markdown)


def test_the_microscope_quiz_answers_in_place_with_the_reason(app):
    open_page(app, "microscope")
    q = app.radio(key="microscope_quiz_0")
    assert q.value is None and not app.success and not app.error
    q.set_value(q.options[0]).run()
    assert app.error and "causal mask" in app.error[0].value
    app.radio(key="microscope_quiz_0").set_value(q.options[1]).run()
    assert app.success and "causal mask" in app.success[0].value


def test_the_sampling_lab_cuts_bars_with_top_k_and_writes_three_texts(app):
    open_page(app, "sampling")
    metric = {m.label: m.value for m in app.metric}
    assert metric["Characters that can be picked"] == "63 of 63"
    app.slider(key="sampling_top_k").set_value(3).run()
    metric = {m.label: m.value for m in app.metric}
    assert metric["Characters that can be picked"] == "3 of 63"
    spec = app.get("vega_lite_chart")[0].proto.spec
    assert spec.count('"cut off"') >= 1
    app.button(key="sampling_generate").click().run()
    assert not app.exception
    texts = [h.proto.body for h in app.get("html") if "white-space:pre-wrap" in h.proto.body]
    assert len(texts) == 3 and len(set(texts)) == 3  # three different texts with the same settings
    assert "top-k 3" in captions(app)


def train_on_watch(app, steps=40):
    open_page(app, "watch")
    app.selectbox(key="watch_dataset").set_value("poems").run()
    app.radio(key="watch_size").set_value("tiny").run()
    app.number_input(key="watch_steps").set_value(steps).run()
    app.number_input(key="watch_interval").set_value(20).run()
    app.segmented_control(key="watch_speed").set_value("max").run()
    app.button(key="watch_play").click().run()
    session = next(s for s in get_manager().all_sessions() if s.page == "watch")
    end = time.monotonic() + 120
    while session.state != State.COMPLETED and time.monotonic() < end:
        time.sleep(0.1)
    assert session.state == State.COMPLETED
    app.run()
    return session


def test_after_a_run_on_watch_the_journey_uses_that_model(app):
    train_on_watch(app)
    open_page(app, "microscope")
    picker = app.selectbox(key="microscope_model")
    assert picker.options == ["Watch · Poems · step 40", "Pretrained English base · 6.2 M characters read"]
    assert "your model" in captions(app)
    assert "default model" not in captions(app)
    check = re.search(r"at most \*\*([0-9.e+-]+)\*\*", captions(app))
    assert check and float(check.group(1)) < 1e-5
    open_page(app, "sampling")
    # the tiny model trained on poems has the poems' vocabulary, not Shakespeare's
    from llmbreaker.engine.corpus import bundled_text
    n = len(set(bundled_text("poems")))
    assert {m.label: m.value for m in app.metric}["Characters that can be picked"] == f"{n} of {n}"


def test_the_journey_map_puts_watch_first_and_links_every_station_and_path(app):
    open_page(app, "journey")
    links = [link.proto for link in app.get("page_link")]
    assert links[0].page == "watch" and links[0].label == "Watch it learn"  # the first thing to click
    assert len(json.loads(app.get("vega_lite_chart")[0].proto.spec)["layer"]) == 6  # line, stations, words
    from llmbreaker.charts.journey import metro_chart
    rows = [row for data in metro_chart({k: v[0] for k, v in PAGES.items()})["datasets"].values() for row in data]
    assert [r["title"] for r in rows if "pages" in r and "line" not in r] == \
        ["Data", "Tokens", "Model", "Training", "Evaluation", "Generation"]
    assert [r["title"] for r in rows if r.get("start") is True] == ["Training"]  # ringed: start here
    assert all(r["preview"] for r in rows)  # what the hover shows
    from llmbreaker.lessons.journey import PATHS, STATIONS
    pages = {link.page for link in links}
    for station in STATIONS:
        assert {PAGES[p][3] for p in station.pages} <= pages
    labels = [link.label for link in links]
    for steps in PATHS.values():  # each path is an ordered list of links
        shown = [p for p, _ in steps]
        for i, p in enumerate(shown, 1):
            assert f"{i}. {PAGES[p][0]}" in labels
    assert "Default model · Shakespeare" in " ".join(c.value for c in app.caption)


def test_data_and_tokens_turns_text_into_ids_and_back(app):
    open_page(app, "tokens")
    vocab = app.dataframe[0].value
    assert len(vocab) == 63 and list(vocab.columns[:3]) == ["id", "character", "count"]
    assert vocab["count"].sum() == 1_108_001  # every character of the text counted
    app.text_input(key="tokens_typed").input("hi").run()
    from llmbreaker.engine.model_io import load_model
    from llmbreaker.lessons.journey import default_source
    _, tok = load_model(default_source().data)
    assert app.code[0].value == ", ".join(map(str, tok.encode("hi")))
    app.text_input(key="tokens_ids").input(", ".join(map(str, tok.encode("Romeo")))).run()
    assert app.code[1].value == "Romeo"
    app.text_input(key="tokens_ids").input("1, 999, x").run()
    assert app.warning and "999" in app.warning[0].value and "x" in app.warning[0].value
    html = html_text(app)
    assert html.count("<th>input</th>") == 4 and html.count("<th>target</th>") == 4  # one batch of 4 windows
    assert "997,200 characters to train on, 110,801 (10%) held out" in captions(app)


def chapter_title(app) -> str:
    return next(m.value for m in app.markdown if m.value.startswith("#### Chapter"))


def test_follow_one_character_steps_through_every_chapter_to_branching(app):
    open_page(app, "follow")
    assert chapter_title(app) == "#### Chapter 1 of 8 · Tokenise"
    app.button(key="follow_prev").click().run()  # nothing before the first chapter
    assert chapter_title(app).startswith("#### Chapter 1 of 8")
    seen = []
    for _ in range(9):
        app.button(key="follow_next").click().run()
        assert not app.exception
        seen.append(chapter_title(app).split(" · ")[1])
    assert seen == ["Embed", "Layer 1", "Layer 2", "Final LayerNorm", "Logits", "Softmax", "Sample and branch",
                    "Sample and branch", "Sample and branch"]  # and it stays at the last one
    # the softmax chapter and the branching agree with the model: 'e' is its favourite after "with th"
    branch = app.radio(key="follow_branch_default")
    texts = [h.proto.body for h in app.get("html") if "white-space:pre-wrap" in h.proto.body]
    assert len(texts) == 2 and "⟨e⟩" in texts[0]
    other = branch.options[2]
    branch.set_value(other).run()
    texts2 = [h.proto.body for h in app.get("html") if "white-space:pre-wrap" in h.proto.body]
    assert texts2[0] == texts[0] and texts2[1] != texts[1]  # only the branch changes
    app.button(key="follow_prev").click().run()
    assert chapter_title(app) == "#### Chapter 7 of 8 · Softmax"


def test_follow_auto_play_turns_the_chapters(app):
    open_page(app, "follow")
    app.segmented_control(key="follow_pace").set_value("fast").run()
    app.toggle(key="follow_playing").set_value(True).run()
    start = chapter_title(app)
    time.sleep(2.6)
    app.run()  # AppTest does not fire run_every by itself: this is the timer's tick
    assert chapter_title(app) != start and not app.exception


def test_a_model_with_another_architecture_gets_a_message_not_wrong_numbers(app):
    """A Lab run with rotary positions: the microscope and the chapters say they cover the standard
    architecture; the sampling lab, which only needs the model's output, works on it."""
    import torch

    from llmbreaker.engine.corpus import bundled_text
    from llmbreaker.lessons.journey import default_source
    from llmbreaker.engine.model import MicroGPT, ModelConfig
    from llmbreaker.engine.model_io import load_model, save_model
    from llmbreaker.engine.session import TrainingRequest
    open_page(app, "watch")  # creates this tab's Watch session: its owner is the tab
    owner = get_manager().all_sessions()[0].owner
    _, tok = load_model(default_source().data)
    torch.manual_seed(0)
    rope = MicroGPT(ModelConfig(vocab_size=tok.vocab_size, n_embd=32, position="rope"))
    lab = get_manager().session_for(owner, "lab")
    lab.history.run_id, lab.history.step = 99, 300
    lab.history.model_file = save_model(rope, tok)
    lab.request = TrainingRequest(bundled_text("shakespeare"), label="Shakespeare")
    for key in ("microscope", "follow"):
        open_page(app, key)
        assert app.selectbox(key=f"{key}_model").value.startswith(f"{lab.id}:")
        assert app.warning and "position = 'rope'" in app.warning[0].value
        assert not app.get("vega_lite_chart")  # no pictures of numbers that are not its own
    open_page(app, "sampling")
    assert {m.label: m.value for m in app.metric}["Characters that can be picked"] == "63 of 63"
