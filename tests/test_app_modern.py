"""The Modern models pages through AppTest: Compare, RoPE and Scaling laws render with the app's
header, react to their controls, and show numbers a person can check."""
import csv
import io
import json

import pytest

from llmbreaker.lessons import arch_math as am
from llmbreaker.lessons.registry import get
from llmbreaker.ui.shell import PAGE_SECTIONS, PAGES
from llmbreaker.lessons.explain import EXPLAIN, explain

from conftest import fresh_app

MODERN = ["compare", "rope", "scaling"]


@pytest.fixture
def app():
    yield from fresh_app()


def _open(app, key):
    app.switch_page(PAGES[key][1]).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_the_pages_are_the_last_sidebar_group():
    assert list(PAGE_SECTIONS)[-1] == "Modern models"
    assert PAGE_SECTIONS["Modern models"][:3] == MODERN  # more modern pages (MoE) may follow these
    for key in MODERN:
        title, path, icon, url = PAGES[key]
        assert url == key and path == f"app_pages/{key}.py" and icon.startswith(":material/")


@pytest.mark.parametrize("key", MODERN)
def test_every_page_has_the_header_and_its_explanation(app, key):
    _open(app, key)
    header = " ".join(h.proto.body for h in app.get("html"))
    assert "LLMBreaker" in header and PAGES[key][0] in header
    expander = [e for e in app.expander if e.label == "What am I looking at?"]
    assert len(expander) == 1 and " ".join(m.value for m in expander[0].markdown) == explain(key)
    assert len(EXPLAIN[key].split()) >= 60


def _controls_have_help(app):
    widgets = list(app.multiselect) + list(app.slider) + list(app.select_slider) + list(app.toggle) + list(app.button)
    for w in widgets:
        if w.key and w.key.split("_")[0] in MODERN:
            assert w.help, f"{w.key} has no help"


def test_compare_shows_the_three_default_models_with_formulas_and_the_gqa_answer(app):
    _open(app, "compare")
    _controls_have_help(app)
    assert app.multiselect(key="compare_models").value == ["LLaMA-2 7B", "LLaMA-2 70B", "DeepSeek-V3"]
    table = app.dataframe[0].value
    assert list(table.columns) == ["LLaMA-2 7B", "LLaMA-2 70B", "DeepSeek-V3"]
    assert table.loc["KV heads", "LLaMA-2 70B"] == "8"
    assert table.loc["Attention", "LLaMA-2 70B"] == "GQA"
    assert table.loc["Parameters (published)", "DeepSeek-V3"] == "671 B"
    code = "\n".join(c.value for c in app.code)
    assert "2 x 80 layers x 8 KV heads x 128 x 2 B = 327,680 B = 320 KiB" in code  # the formula with its result
    assert "61 layers x (512 + 64) x 2 B = 70,272 B" in code
    info = " ".join(i.value for i in app.info)
    assert "Why does LLaMA use GQA?" in info and "8x less" in info
    assert len(app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")) >= 5  # the five charts


def test_compare_reacts_to_context_and_dtype(app):
    _open(app, "compare")
    app.select_slider(key="compare_context").set_value(32768)
    app.segmented_control(key="compare_dtype").set_value("fp8 / int8")
    app.run()
    assert not app.exception
    code = "\n".join(c.value for c in app.code)
    assert "x 1 B = 163,840 B" in code  # LLaMA-2 70B per token at one byte a number
    # LLaMA-2 70B reads at most 4,096 tokens: its cache stops there; DeepSeek-V3 reads the whole 32K
    assert f"4,096 tokens (its longest context) = {am.human_bytes(4096 * 163_840)} (fp8 / int8)" in code
    deepseek = am.kv_cache_bytes(get("deepseek-v3"), 32768, 1.0)
    assert f"32,768 tokens = {am.human_bytes(deepseek)} (fp8 / int8)" in code


def test_unpublished_models_show_a_note_and_no_numbers(app):
    _open(app, "compare")
    app.multiselect(key="compare_models").set_value(["GPT-4", "Mistral 7B"]).run()
    assert not app.exception
    warning = " ".join(w.value for w in app.warning)
    assert "GPT-4" in warning and "not published" in warning.lower()
    table = app.dataframe[0].value
    assert (table["GPT-4"].drop(["Organisation", "Year"]) == "not published").all()
    assert "Mistral 7B" in "\n".join(c.value for c in app.code)


def test_compare_downloads_hold_every_chosen_model(app):
    _open(app, "compare")
    buttons = {b.proto.label: b for b in app.get("download_button")}
    assert set(buttons) == {"Comparison (CSV)", "Comparison (JSON)"}
    from llmbreaker.ui.views.compare import comparison_records
    models = [get(n) for n in ["LLaMA-2 7B", "LLaMA-2 70B", "DeepSeek-V3"]]
    records = comparison_records(models, 4096, 2.0)
    assert [r["name"] for r in records] == ["LLaMA-2 7B", "LLaMA-2 70B", "DeepSeek-V3"]
    assert records[1]["kv_cache_bytes_per_token"] == 327_680 and records[2]["params_total"] == am.total_params(models[2])
    json.loads(json.dumps(records))
    import pandas as pd
    rows = list(csv.DictReader(io.StringIO(pd.DataFrame(records).to_csv(index=False))))
    assert rows[0]["config_source"].startswith("https://")


def test_rope_page_turns_pairs_and_shows_the_distance_property(app):
    _open(app, "rope")
    _controls_have_help(app)
    app.select_slider(key="rope_head").set_value(128)
    app.slider(key="rope_positions").set_value(128)
    app.run()
    app.slider(key="rope_pos").set_value(100).run()
    assert not app.exception
    code = "\n".join(c.value for c in app.code)
    assert "angle at position 100 = 100 x 1 = 100.000 rad" in code
    table = app.dataframe[0].value
    for _, group in table.groupby("distance m - n"):
        assert group["q·k after rotation"].max() - group["q·k after rotation"].min() < 1e-3
    assert table["distance m - n"].nunique() >= 3


def test_rope_sliders_stay_in_range_when_the_range_shrinks(app):
    _open(app, "rope")
    app.slider(key="rope_pos").set_value(60).run()
    app.slider(key="rope_pair").set_value(15).run()
    app.select_slider(key="rope_head").set_value(8)
    app.slider(key="rope_positions").set_value(16)
    app.run()
    assert not app.exception
    assert app.slider(key="rope_pos").value == 15 and app.slider(key="rope_pair").value == 3


def test_scaling_page_shows_the_fit_and_reacts_to_n_and_d(app):
    _open(app, "scaling")
    _controls_have_help(app)
    latex = " ".join(l.proto.body for l in app.get("latex"))
    assert "E = 1.69" in latex and "A = 406.4" in latex and "B = 410.7" in latex
    app.select_slider(key="scaling_n").set_value(1e12)
    app.run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    from llmbreaker.lessons.scaling_laws import CHINCHILLA_FIT
    D = app.select_slider(key="scaling_d").value
    assert metrics["Predicted loss"] == f"{float(CHINCHILLA_FIT.loss(1e12, D)):.3f}"
    table = app.table[0].value
    assert "LLaMA-3 8B" in set(table.index) and "Mistral 7B" not in set(table.index)
    assert "Mistral 7B" in " ".join(c.value for c in app.caption)


def test_rope_walk_moves_the_token_on_its_own(app):
    _open(app, "rope")
    app.slider(key="rope_pos").set_value(7).run()
    app.toggle(key="rope_animate").set_value(True).run()
    assert not app.exception
    assert "position **8**" in " ".join(c.value for c in app.caption)  # one step on from the slider
    app.toggle(key="rope_animate").set_value(False).run()
    assert "position **7**" in " ".join(c.value for c in app.caption)
