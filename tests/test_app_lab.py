"""The Architecture Lab through AppTest: switches move the parameter budget, impossible settings are
explained, experiments queue a fair comparison, and finished runs are kept, named and compared."""
import time

import pytest

from llmbreaker.engine.corpus import bundled_text
from llmbreaker.engine.model import MicroGPT, ModelConfig
from llmbreaker.engine.session import State
from llmbreaker.ui.shell import PAGES, get_manager

from conftest import fresh_app


@pytest.fixture
def app():
    yield from fresh_app(PAGES["lab"][1])


def metric(app, label):
    return next(m.value for m in app.metric if m.label == label)


def comparison_table(app):
    return next(t.value for t in app.table if "Run" in t.value.columns)


def lab_session():
    return next(s for s in get_manager().all_sessions() if s.page == "lab")


def wait_until(predicate, app, timeout=240):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_switches_move_the_parameter_budget_as_they_change(app):
    app.run()
    assert not app.exception
    vocab = len(set(bundled_text("shakespeare")))
    base = int(metric(app, "Parameters").replace(",", ""))
    small = MicroGPT(ModelConfig(vocab_size=vocab, n_embd=32, n_layer=2, n_head=2))
    assert base == sum(p.numel() for p in small.parameters())  # the Small model on Shakespeare
    app.segmented_control(key="lab_position").set_value("none").run()
    assert int(metric(app, "Parameters").replace(",", "")) == base - 64 * 32  # one vector per place, gone
    app.toggle(key="lab_tie_weights").set_value(False).run()
    assert int(metric(app, "Parameters").replace(",", "")) == base - 64 * 32 + vocab * 32
    app.select_slider(key="lab_experts").set_value(4).run()
    assert "Active per character" in [m.label for m in app.metric]
    # Every switch carries its one-line explanation on the page.
    captions = " ".join(c.value for c in app.caption)
    assert "Hides the future from each character" in captions and "reuses the token embedding" in captions


def test_an_impossible_combination_says_why_and_cannot_be_queued(app):
    app.run()
    app.segmented_control(key="lab_position").set_value("rope").run()
    app.select_slider(key="lab_dims").set_value(24).run()
    app.select_slider(key="lab_heads").set_value(8).run()  # head size 3: rotary needs an even one
    assert any("even head size" in w.value for w in app.warning)
    assert app.button(key="lab_add").disabled


def test_size_presets_set_the_sliders(app):
    app.run()
    app.segmented_control(key="lab_size").set_value("wide").run()
    assert (app.slider(key="lab_layers").value, app.select_slider(key="lab_heads").value,
            app.select_slider(key="lab_dims").value) == (2, 4, 64)


def test_a_ready_made_experiment_queues_baseline_and_variant_on_the_same_seed(app):
    app.run()
    app.button(key="lab_exp_positions").click().run()
    s = lab_session()
    assert s.speed == "max"
    runs = [s.history.request] + s.pending
    assert [r.model.position for r in runs] == ["learned", "none"]
    assert len({(r.text, r.train) for r in runs}) == 1  # same text, steps, schedule and seed
    # Starting the other experiment replaces this one; Stop all ends the queue.
    app.button(key="lab_exp_causal").click().run()
    assert [r.model.causal for r in [s.history.request] + s.pending] == [True, False]
    app.button(key="lab_stop").click().run()
    assert s.state == State.STOPPED and s.pending == []


def test_two_runs_train_one_after_another_and_are_compared_by_name(app):
    app.run()
    app.select_slider(key="lab_steps").set_value(300).run()
    app.segmented_control(key="lab_size").set_value("tiny").run()
    app.button(key="lab_add").click().run()
    app.segmented_control(key="lab_position").set_value("none").run()
    app.button(key="lab_add").click().run()
    s = lab_session()
    wait_until(lambda: s.drain() is not None and len(s.finished) == 1 and s.state == State.COMPLETED, app)
    app.run()
    assert not app.exception
    table = comparison_table(app)
    assert list(table["Run"]) == ["#1 · baseline", "#2 · no positions"]
    assert list(table["Status"]) == ["finished", "finished"]
    assert (table["Val loss"] > 0).all() and (table["Steps"] == 300).all()
    assert table["Parameters"][0] - table["Parameters"][1] == 64 * 16
    import json
    charts = [json.loads(c.proto.spec) for c in app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")]
    legend_runs = [c for c in charts if "run" in json.dumps(c.get("encoding", c.get("layer", "")))]
    assert legend_runs, "the comparison chart is drawn"
    drawn = json.dumps(legend_runs[0], ensure_ascii=False)
    assert "#1 · baseline" in drawn and "#2 · no positions" in drawn
    # A run removed from the comparison is gone from the table.
    app.button(key="lab_remove_0").click().run()
    assert list(comparison_table(app)["Run"]) == ["#1 · baseline"]


def test_workshop_mode_gives_the_comparison_the_width_and_keeps_the_setup_in_an_expander(app):
    app.query_params["workshop"] = "1"
    app.run()
    assert not app.exception
    assert "Set up your own run" in [e.label for e in app.expander]
    assert app.button(key="lab_add") is not None  # still there, one click away


def test_a_second_experiment_replaces_the_first_ones_finished_runs(app):
    app.run()
    app.select_slider(key="lab_steps").set_value(300).run()
    app.segmented_control(key="lab_size").set_value("tiny").run()
    app.button(key="lab_add").click().run()
    s = lab_session()
    wait_until(lambda: s.state == State.COMPLETED, app)
    app.button(key="lab_exp_heads").click().run()
    assert s.finished == [] and [r.model.n_head for r in [s.history.request] + s.pending] == [1, 4]
    app.button(key="lab_stop").click().run()
