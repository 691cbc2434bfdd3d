"""What the pages draw: sample HTML (escaped, real words marked) and the chart specs' data."""
import html as html_lib
import re
import types

import numpy as np
import pytest

from llmbreaker.charts.training import (attention_cells, heat_hex, heatmap, heatmap_svg, loss_chart, next_token_chart,
                                        stage_annotations, thin)
from llmbreaker.charts.samples import progression_html, sample_html
from llmbreaker.engine.trainer import Checkpoint

WORDS = frozenset({"the", "cat", "sat", "king's"})


def ckpt(step, val, sample="the cat"):
    return Checkpoint(step=step, train_loss=val - 0.05, val_loss=val, sample=sample,
                      attention=np.zeros((1, 1, 2, 2), np.float32), next_token=[("a", 0.5)], lr=0.01, elapsed=0.0)


def test_samples_are_escaped_so_nothing_in_them_runs():
    text = '<script>alert(1)</script> <img src=x onerror=alert(1)> [a](http://x)'
    html = sample_html(text, WORDS)
    assert "<script>" not in html and "<img" not in html
    # Without our own <span> wrappers, what is left is the text itself, escaped.
    shown = re.sub(r'</?span[^>]*>', "", html)
    assert shown == html_lib.escape(text)


def test_progression_newest_fades_in_and_the_selected_is_highlighted():
    rows = [{"step": 200, "val_loss": 2.0, "sample": "the cat"}, {"step": 0, "val_loss": 4.1, "sample": "xq\nz"}]
    html = progression_html(rows, WORDS, selected_step=0)
    assert html.index('data-step="200"') < html.index('data-step="0"')
    assert 'class="lb-row new" data-step="200"' in html
    assert 'class="lb-row sel" data-step="0"' in html
    assert "↵" in html  # newlines shown
    assert "100% words" in html and "0% words" in html


def test_per_step_losses_are_thinned_to_a_bounded_number_of_points():
    steps = list(range(1, 10_001))
    points = thin(steps, [1.0] * 5000 + [3.0] * 5000, limit=400)
    assert len(points) == 400
    assert points[-1]["step"] == 10_000 and points[0]["loss"] == 1.0 and points[-1]["loss"] == 3.0
    assert len(thin(steps[:50], [2.0] * 50)) == 50


def test_loss_chart_carries_every_checkpoint_and_the_stage_notes():
    cps = [ckpt(0, 4.2), ckpt(200, 2.4), ckpt(400, 2.1), ckpt(600, 1.95)]
    spec = loss_chart([1, 2, 3], [4.0, 3.9, 3.8], cps, total_steps=600, vocab_size=63, selected_step=200)
    data = spec["datasets"]
    assert {(r["step"], r["split"]) for r in data["checkpoints"]} >= {(600, "Validation loss"), (0, "Train loss (checkpoint)")}
    assert data["selected"] == [{"step": 200}]
    assert [n["label"] for n in data["notes"]] == ["pairs of letters", "short words", "spelling and line breaks"]
    assert [n["step"] for n in stage_annotations(cps)] == [200, 400, 600]
    # A validation loss above the usual axis widens it instead of leaving the chart.
    def y_domains(spec):
        return {tuple(layer["encoding"]["y"]["scale"]["domain"]) for layer in spec["layer"]
                if "scale" in layer["encoding"].get("y", {})}
    usual = loss_chart([], [], [ckpt(0, 4.2)], total_steps=100, vocab_size=40)
    assert y_domains(usual) == {(0.5, 4.5)}  # just above the untrained loss, ln(40) + 0.3 rounded up to 4.5
    high = loss_chart([], [], [ckpt(0, 4.2), ckpt(50, 6.3)], total_steps=100, vocab_size=40)
    assert y_domains(high) == {(0.5, 6.5)}  # 6.3 + 0.2, up to the next half nat


def test_the_first_steps_loss_is_a_dot_before_any_checkpoint_and_an_empty_chart_has_its_axes():
    spec = loss_chart([1], [4.17], [], total_steps=1500, vocab_size=65)
    assert spec["datasets"]["latest"] == [{"step": 1, "loss": 4.17}]  # a line of one point draws nothing
    assert spec["datasets"]["checkpoints"] == []
    empty = loss_chart([], [], [], total_steps=1500, vocab_size=65)
    assert empty["datasets"]["latest"] == [] and empty["datasets"]["per_step"] == []
    x_domains = [layer["encoding"]["x"]["scale"]["domain"] for layer in empty["layer"] if "scale" in layer["encoding"]["x"]]
    assert [0, 1500] in x_domains


def test_next_token_bars_show_space_and_newline_visibly():
    data = next_token_chart([(" ", 0.5), ("\n", 0.3), ("e", 0.2)])["datasets"]["top"]
    assert [r["token"] for r in data] == ["␣", "↵", "e"]


def test_heatmap_cells_are_the_lower_triangle_with_the_tooltip_sentence():
    m = np.array([[1.0, 0, 0], [0.77, 0.23, 0], [0.2, 0.3, 0.5]], dtype=np.float32)
    cells = attention_cells(m).to_pylist()
    assert len(cells) == 6  # 3 + 2 + 1: nothing above the diagonal
    assert [(c["q"], c["k"]) for c in cells] == [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2)]
    assert cells[2]["w"] == pytest.approx(0.23)
    spec = heatmap(m, ["c", "a", " "], "Layer 1 · Head 1", detail=True)
    assert "Key: the character looked at" in str(spec) and '["c", "a", "␣"]' in str(spec)
    # The tooltip's sentence is made in the browser: its Vega expression (string concatenation, an
    # array of the probe's characters and format(), which read the same in Python) gives it.
    (calc,) = [t["calculate"] for t in spec["transform"] if t.get("as") == "tip"]
    tip = lambda q, k, w: eval(calc, {"datum": types.SimpleNamespace(q=q, k=k, w=w), "format": format})  # noqa: E731
    assert tip(1, 1, 0.23) == "Attention from 'a' → 'a' = 0.23"
    assert tip(2, 2, 0.5) == "Attention from '␣' → '␣' = 0.50"
    assert spec["encoding"]["tooltip"]["field"] == "tip"


def test_heat_colours_go_from_white_to_dark_blue_and_svg_escapes_characters():
    assert heat_hex(0.0) == "#ffffff" and heat_hex(1.0) == "#1e3a8a" and heat_hex(0.2) == "#60a5fa"
    svg = heatmap_svg(np.eye(2, dtype=np.float32), ["<", "&"], "Layer 1 · Head 1")
    assert svg.startswith("<svg") and "&lt;" in svg and "&amp;" in svg and "<&" not in svg
