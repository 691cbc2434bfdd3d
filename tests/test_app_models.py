"""One description of the app's model on every page (docs/design.md §Consistency), through AppTest: Inside,
Compare, the Lab and the journey say the same vocabulary, parameter count and name, and number
layers and heads from 1."""
import pytest

from llmbreaker.lessons import our_model
from llmbreaker.ui.shell import PAGES

from conftest import fresh_app


@pytest.fixture
def app():
    yield from fresh_app()


def _open(app, key):
    app.switch_page(PAGES[key][1]).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_inside_counts_the_model_the_other_pages_train(app):
    _open(app, "inside")
    assert app.number_input(key="inside_vocab").value == our_model.vocab_size() == 63
    assert app.radio(key="inside_size").value == our_model.SIZE
    table = app.dataframe[0].value
    rows = dict(zip(table["Component"], table["Parameters"]))
    assert rows["Total"] == our_model.parameters() == 29_344  # not 29,408 (65 characters)
    assert "Layer 1: attention head 1 (Q, K, V)" in rows and "Layer 2: attention head 2 (Q, K, V)" in rows
    assert not any(c.startswith("Block ") or "head 0" in c for c in rows)


def test_compare_describes_our_model_with_the_same_numbers(app):
    _open(app, "compare")
    ours = next(o for o in app.multiselect(key="compare_models").options if o.startswith(our_model.name()))
    app.multiselect(key="compare_models").set_value([ours, "GPT-2 small"]).run()
    assert not app.exception
    table = app.dataframe[0].value
    assert table.loc["Vocabulary", ours] == "63"
    assert table.loc["Parameters (counted here)", ours] == table.loc["Parameters (published)", ours] == "29.3 K"


def test_the_lab_counts_small_as_inside_does_and_names_its_four_layer_model_apart(app):
    _open(app, "lab")
    labels = app.segmented_control(key="lab_size").options  # as shown
    assert not any(l.startswith("Deeper") for l in labels)  # Watch's Deeper is 3 layers x 4 heads
    assert any(l.startswith("Tall · 4 layers") for l in labels)
    app.segmented_control(key="lab_size").set_value("small").run()
    params = next(m for m in app.metric if m.label == "Parameters")
    assert params.value == f"{our_model.parameters():,}"


def test_the_journey_says_the_default_models_size(app):
    _open(app, "microscope")
    captions = " ".join(c.value for c in app.caption)
    assert f"{our_model.name()}" in captions and f"{our_model.parameters():,} parameters" in captions
    assert f"{our_model.vocab_size()} characters" in captions
