"""Chart builders: history in, Vega-Lite spec out. Pure functions, no streamlit.

The charts are written with Altair, but the live view redraws them twice a second while a model
trains in another thread of the same process. Building and validating an Altair chart costs
tens of milliseconds of pure Python, all of it holding the GIL the trainer needs. So the charts of
every live page (loss, next-token bars, heatmaps, entropy) have their *shape* built with Altair once
(cached, with named datasets), and a redraw only copies that spec and fills in the data: about a
millisecond. The charts of several runs or experts (the Lab's comparison, the expert shares and the
balancing loss, the Style comparison's share of words) are still built whole at each redraw.
"""
from __future__ import annotations

import copy
import functools
import html
import json
import math

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa

from llmbreaker.charts.palette import (BLUE, DIM, HEAT_RANGE, PINK, SERIES_COLORS, STEP_GREY, TEXT, TRAIN_BLUE,
                                       series_color)
from llmbreaker.engine.trainer import Checkpoint

MAX_STEP_POINTS = 400  # the per-step curve is thinned to this many points: the shape, not the bytes
TRAIN_LABEL = "Train loss (checkpoint)"
VAL_LABEL = "Validation loss"

# What the model is learning around a validation loss (nats per character), for the chart's
# subtle annotations. Each is placed at the first checkpoint that gets below its threshold.
STAGES = (
    (3.0, "letter frequencies"),
    (2.5, "pairs of letters"),
    (2.2, "short words"),
    (2.0, "spelling and line breaks"),
    (1.8, "word order"),
)


def visible_char(c: str) -> str:
    """A character as people can see it on an axis or a bar: space and newline shown."""
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(c, c)


def thin(steps: list[int], losses: list[float], limit: int = MAX_STEP_POINTS) -> list[dict]:
    """Average the per-step losses into at most `limit` buckets (keeps the trend, drops noise)."""
    n = len(steps)
    if n <= limit:
        return [{"step": s, "loss": round(v, 4)} for s, v in zip(steps, losses)]
    out = []
    for b in range(limit):
        lo, hi = b * n // limit, (b + 1) * n // limit
        chunk = losses[lo:hi]
        out.append({"step": steps[hi - 1], "loss": round(sum(chunk) / len(chunk), 4)})
    return out


def stage_annotations(checkpoints: list[Checkpoint]) -> list[dict]:
    """One label per checkpoint at most: where several stages are first passed at the same
    checkpoint, the furthest one is named."""
    by_step: dict[int, dict] = {}
    for threshold, label in STAGES:
        for c in checkpoints:
            if c.step > 0 and c.val_loss < threshold:
                by_step[c.step] = {"step": c.step, "loss": round(c.val_loss, 3), "label": label}
                break
    return list(by_step.values())


def loss_axis_top(vocab_size: int) -> float:
    """The untrained model's loss is about ln(vocab): the y axis starts just above it."""
    return round(max(4.5, math.log(max(vocab_size, 2)) + 0.3), 1)


@functools.lru_cache(maxsize=32)
def _loss_template(total_steps: int, y_bottom: float, y_top: float, height: int, font_scale: float) -> dict:
    x = alt.X("step:Q", title="Training step", scale=alt.Scale(domain=[0, max(1, total_steps)], nice=False))
    # On a projector (font_scale > 1) the long title ran past the plot and squashed it.
    y = alt.Y("loss:Q", title="Loss (lower = better predictions)" if font_scale <= 1 else "Loss",
              scale=alt.Scale(domain=[y_bottom, y_top], nice=False, clamp=True))
    colors = alt.Scale(domain=[TRAIN_LABEL, VAL_LABEL], range=[TRAIN_BLUE, PINK])
    pick = alt.selection_point(name="checkpoint", fields=["step"], on="click", nearest=True, empty=False)
    raw = alt.Chart(alt.NamedData("per_step")).mark_line(color=STEP_GREY, opacity=0.6, strokeWidth=1.2 * font_scale).encode(
        x=x, y=y, tooltip=[alt.Tooltip("step:Q", title="Step"), alt.Tooltip("loss:Q", title="Training loss", format=".3f")])
    lines = alt.Chart(alt.NamedData("checkpoints")).mark_line(strokeWidth=2.5 * font_scale).encode(
        x=x, y=y, color=alt.Color("split:N", scale=colors, legend=alt.Legend(
            title=None, orient="top", direction="horizontal", labelLimit=0,
            # On a projector the short names: the long ones ran past a half-width chart (MoE's).
            **({} if font_scale <= 1 else {"labelExpr": f"datum.label == '{TRAIN_LABEL}' ? 'Train' : 'Validation'"}))))
    points = alt.Chart(alt.NamedData("checkpoints")).mark_point(filled=True, size=70 * font_scale, cursor="pointer").encode(
        x=x, y=y, color=alt.Color("split:N", scale=colors, legend=None),
        tooltip=[alt.Tooltip("step:Q", title="Step"), alt.Tooltip("split:N", title="Curve"),
                 alt.Tooltip("loss:Q", title="Loss", format=".3f")],
    ).add_params(pick)
    # The newest per-step loss as a dot: the curve's growing tip, and the first point on the chart
    # (one step is a line of one point, which draws nothing) a moment after Play.
    latest = alt.Chart(alt.NamedData("latest")).mark_circle(color="#E2E8F0", size=45 * font_scale, opacity=0.9).encode(
        x=x, y=y, tooltip=[alt.Tooltip("step:Q", title="Step"), alt.Tooltip("loss:Q", title="Training loss", format=".3f")])
    selected = alt.Chart(alt.NamedData("selected")).mark_rule(
        color="#F1F5F9", strokeDash=[4, 4], opacity=0.6).encode(x="step:Q")
    notes = alt.Chart(alt.NamedData("notes")).mark_text(
        align="left", dx=6, dy=-12, color=TEXT, opacity=0.75, fontSize=12 * font_scale, fontStyle="italic",
    ).encode(x="step:Q", y="loss:Q", text="label:N")
    chart = alt.layer(raw, latest, lines, points, selected, notes).properties(height=height).configure_axis(
        labelFontSize=12 * font_scale, titleFontSize=13 * font_scale).configure_legend(labelFontSize=12 * font_scale)
    return chart.to_dict()


def loss_chart(steps: list[int], losses: list[float], checkpoints: list[Checkpoint], total_steps: int,
               vocab_size: int = 65, selected_step: int | None = None, height: int = 320,
               font_scale: float = 1.0) -> dict:
    """Per-step training loss, train and validation loss at checkpoints (clickable: the selection
    is named "checkpoint"), the selected checkpoint as a rule, and the stage annotations."""
    # The axis starts above the untrained loss; a run that overfits (validation loss climbing on a
    # short text) widens it in half-nat steps, so every point stays on the chart.
    highest = max([c.val_loss for c in checkpoints] + [c.train_loss for c in checkpoints] + [0.0])
    y_top = max(loss_axis_top(vocab_size), math.ceil((highest + 0.2) * 2) / 2)
    # The axis ends at 1.0, or lower in half-nat steps when a run gets there (a model reciting a
    # short text reaches a training loss near 0.1): no point is drawn below the plot.
    finite = [v for v in losses if math.isfinite(v)] + [c.train_loss for c in checkpoints] + [c.val_loss for c in checkpoints]
    lowest = min(finite + [1.0])
    y_bottom = max(0.0, min(1.0, math.floor((lowest - 0.05) * 2) / 2))
    spec = copy.deepcopy(_loss_template(total_steps, y_bottom, y_top, height, font_scale))
    per_step = thin(steps, losses)
    spec["datasets"] = {
        "per_step": per_step,
        "latest": per_step[-1:],
        "checkpoints": [{"step": c.step, "split": label, "loss": round(loss, 3)}
                        for c in checkpoints
                        for label, loss in ((TRAIN_LABEL, c.train_loss), (VAL_LABEL, c.val_loss))],
        "selected": [] if selected_step is None else [{"step": selected_step}],
        "notes": stage_annotations(checkpoints),
    }
    return spec


@functools.lru_cache(maxsize=8)
def _next_token_template(height: int, font_scale: float) -> dict:
    base = alt.Chart(alt.NamedData("top")).encode(
        # labelFlush off: the theme's flush pushed the first and last letters onto their neighbours.
        y=alt.Y("token:N", sort=alt.SortField("rank"), title=None,
                axis=alt.Axis(labelFontSize=15 * font_scale, labelOverlap=False, labelFont="monospace",
                              labelFlush=False)),
        # (On a projector the bars have a column of their own, too narrow for the long title.)
        x=alt.X("probability:Q", title="Probability of being next" if font_scale <= 1 else "Probability",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("token:N", title="Next character"), alt.Tooltip("probability:Q", format=".1%")],
    )
    bars = base.mark_bar(color=BLUE, cornerRadiusEnd=3)
    labels = base.mark_text(align="left", dx=4, color=TEXT, fontSize=12 * font_scale).encode(
        text=alt.Text("probability:Q", format=".0%"))
    return (bars + labels).properties(height=height).configure_axis(titleFontSize=13 * font_scale).to_dict()


def next_token_chart(top: list[tuple[str, float]], height: int = 300, font_scale: float = 1.0) -> dict:
    spec = copy.deepcopy(_next_token_template(height, font_scale))
    spec["datasets"] = {"top": [{"token": visible_char(c), "probability": round(p, 4), "rank": i}
                                for i, (c, p) in enumerate(top)]}
    return spec


# -- attention heatmaps ---------------------------------------------------------------------------
# The heatmap palette (docs/design.md §Look): white at 0.0, blue-400, blue-900 at 1.0. Blue-400 sits at
# 0.2, not 0.5: a head spreading over 64 characters gives each well under 0.1, and with the
# midpoint at 0.5 the whole early film would be an indistinct white.
HEAT_DOMAIN = [0.0, 0.2, 1.0]


def _heat_color(legend: bool, font_scale: float) -> alt.Color:
    return alt.Color(
        "w:Q", title="Attention",
        # interpolate="rgb": Vega's default HCL blend turns white cyan on the way to blue-400.
        scale=alt.Scale(domain=HEAT_DOMAIN, range=HEAT_RANGE, clamp=True, interpolate="rgb"),
        # Under the plot, not beside it: the plot gets the column's whole width (Detail).
        legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=160 * font_scale,
                          labelFontSize=11 * font_scale, titleFontSize=12 * font_scale, format=".1f",
                          titleOrient="left", titleAnchor="middle") if legend else None,
    )


# Detail: the heatmap is as wide as its column (Vega's "container" size) and as tall as it is wide plus
# the title, the key axis and the legend under it (DETAIL_BELOW, used by ui/cinema.py to size its box),
# so the cells stay square. Labels are 12 px (at most 1.25x on a projector) while a row has room for
# them; in a narrower column (a phone's) they get smaller, down to 9 px, and then only every k-th
# character is written, k the fewest that keeps them apart (the tooltip names every cell).
DETAIL_LABEL_PX = 12
DETAIL_MIN_LABEL_PX = 9


def detail_below(font_scale: float) -> int:
    """Pixels a Detail heatmap needs beyond its plot's width, vertically (title, key axis, legend),
    less the query axis beside the plot: its box is the column's width plus this."""
    return int(round(130 * font_scale))


@functools.lru_cache(maxsize=64)
def _heatmap_template(title: str, size: int, labels_json: str, legend: bool, detail: bool, font_scale: float) -> dict:
    """A query x key heatmap. With `detail`, both axes carry the probe's characters (the labels
    are looked up by position, so repeated characters keep their own column) and the tooltip reads
    "Attention from 'c' → 'a' = 0.23"."""
    if detail:
        label_px = DETAIL_LABEL_PX * font_scale
        font = {"expr": f"min({label_px:g}, max({DETAIL_MIN_LABEL_PX}, bandwidth('{{axis}}')))"}
        every = f"ceil(min({label_px:g}, max({DETAIL_MIN_LABEL_PX}, bandwidth('{{axis}}'))) / bandwidth('{{axis}}'))"
        labels = f"datum.value % {every} == 0 ? {labels_json}[datum.value] : ''"

        def axis(name: str, title_text: str, **extra) -> alt.Axis:
            return alt.Axis(title=title_text, labelExpr=labels.replace("{axis}", name),
                            labelFontSize=alt.ExprRef(font["expr"].replace("{axis}", name)), labelFont="monospace",
                            titleFontSize=13 * font_scale, labelOverlap=False, ticks=False, **extra)
        axis_x = axis("x", "Key: the character looked at", labelAngle=0)
        axis_y = axis("y", "Query: the character doing the looking")
    else:
        axis_x = axis_y = None
    # One field, no title: the tooltip is the sentence itself, "Attention from 'c' → 'a' = 0.23",
    # made in the browser from the probe's characters, so the data sent is three numbers a cell.
    tooltip = alt.Tooltip("tip:N")
    tip = (f'"Attention from \'" + {labels_json}[datum.q] + "\' → \'" + {labels_json}[datum.k] + "\' = " '
           f'+ format(datum.w, ".2f")')
    chart = alt.Chart(alt.NamedData("cells")).transform_calculate(tip=tip).mark_rect(stroke="#0F172A" if detail else None,
                                                       strokeWidth=0.3 if detail else 0,
                                                       cursor="default" if detail else "pointer").encode(
        x=alt.X("k:O", axis=axis_x, sort="ascending"),
        y=alt.Y("q:O", axis=axis_y, sort="ascending"),
        color=_heat_color(legend, font_scale),
        tooltip=tooltip,
    )
    if not detail:  # in the overview grid, a click on a heatmap opens that head in detail
        chart = chart.add_params(alt.selection_point(name="open", on="click", fields=["q", "k"]))
    width = height = size
    if detail:
        width = height = "container"
    chart = chart.properties(width=width, height=height,
                             title=alt.TitleParams(title, fontSize=(15 if detail else 13) * font_scale,
                                                   color="#E2E8F0", anchor="start"))
    spec = chart.configure_view(strokeWidth=0).to_dict()
    # "pad": the plot gets the size asked for and the axes, title and legend are added around it.
    # Without it Streamlit fits everything into that size and the character labels overlap. Detail
    # fits its box (the column's width, and that plus detail_below() tall): the labels follow the rows.
    spec["autosize"] = {"type": "fit", "contains": "padding"} if detail else {"type": "pad"}
    # Streamlit draws a chart of over 2,000 rows on a canvas (repainting 2,080 cells there is far
    # faster than as SVG elements), but it cannot count the rows of a chart with a transform (the
    # tooltip's): the same rule, said here.
    n = len(json.loads(labels_json))
    if n * (n + 1) // 2 > 2000:
        spec["usermeta"] = {"embedOptions": {"renderer": "canvas"}}
    return spec


def heat_legend_html() -> str:
    """The shared colour scale of every heatmap on the page, as one legend."""
    stops = ", ".join(f"{c} {d * 100:.0f}%" for c, d in zip(HEAT_RANGE, HEAT_DOMAIN))
    # Each tick label stands under its place on the bar (0.2 is a fifth of the way along).
    ticks = "".join(
        f'<span style="position:absolute; left:{d * 100:.0f}%; transform:translateX(-50%)">{label}</span>'
        for d, label in ((0.0, "0"), (0.2, "0.2"), (0.5, "0.5"), (1.0, "1"))
    )
    return (
        '<div class="lb-heat-legend" style="display:flex; align-items:center; gap:0.8rem; color:#CBD5E1; font-size:0.85rem;">'
        '<span>Attention</span>'
        '<div style="position:relative; width:260px; padding-bottom:1.1rem; margin-top:1rem">'
        f'<div style="height:12px; border-radius:6px; background:linear-gradient(90deg, {stops}); border:1px solid #334155"></div>'
        f'<div style="position:relative; height:0; top:2px; font-size:0.78rem; color:#94A3B8">{ticks}</div></div>'
        '<span style="color:#94A3B8">white = none · dark blue = all · each row adds up to 1</span></div>'
    )


def attention_cells(matrix) -> pa.Table:
    """The lower triangle of a (T, T) attention matrix as the chart's rows: query, key, weight.
    Cells above the diagonal (the future, masked) are left out: the background shows there. An Arrow
    table of small numbers (17 KB for 64 characters, built in a fraction of a millisecond), where a
    list of dicts with the tooltip's sentence was 138 KB and ~30 ms per heatmap, four per checkpoint."""
    matrix = np.asarray(matrix, dtype=np.float32)
    q, k = np.tril_indices(matrix.shape[0])
    return pa.table({"q": q.astype(np.int16), "k": k.astype(np.int16),
                     "w": np.round(matrix[q, k], 4).astype(np.float32)})


def heatmap(matrix, tokens: list[str], title: str, size: int = 220, legend: bool = False,
            detail: bool = False, font_scale: float = 1.0) -> dict:
    labels = json.dumps([visible_char(t) for t in tokens], ensure_ascii=False)
    spec = copy.deepcopy(_heatmap_template(title, size, labels, legend, detail, font_scale))
    spec["datasets"] = {"cells": attention_cells(matrix)}
    return spec


def heat_hex(w: float) -> str:
    """The heatmap colour of a weight, for drawings outside Vega (the SVG export)."""
    w = min(1.0, max(0.0, float(w)))
    mid = HEAT_DOMAIN[1]
    (a, b), t = ((HEAT_RANGE[0], HEAT_RANGE[1]), w / mid) if w <= mid else ((HEAT_RANGE[1], HEAT_RANGE[2]), (w - mid) / (1 - mid))
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb))


def heatmap_svg(matrix, tokens: list[str], title: str, cell: int = 12) -> str:
    """A standalone SVG of one heatmap (for download): cells, character labels, title."""
    import html as _html
    T = len(tokens)
    pad = 28
    size = pad + T * cell
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size + 10}" height="{size + 40}" '
             f'font-family="monospace" font-size="{cell - 2}">',
             '<rect width="100%" height="100%" fill="#0F172A"/>',
             f'<text x="{pad}" y="18" fill="#E2E8F0" font-size="14">{_html.escape(title)}</text>']
    top = 30
    for i, t in enumerate(tokens):
        ch = _html.escape(visible_char(t))
        parts.append(f'<text x="{pad + i * cell + cell / 2}" y="{top + size - pad + cell}" fill="#CBD5E1" '
                     f'text-anchor="middle">{ch}</text>')
        parts.append(f'<text x="{pad - 4}" y="{top + i * cell + cell - 2}" fill="#CBD5E1" text-anchor="end">{ch}</text>')
    for q in range(T):
        for k in range(q + 1):
            parts.append(f'<rect x="{pad + k * cell}" y="{top + q * cell}" width="{cell}" height="{cell}" '
                         f'fill="{heat_hex(matrix[q][k])}"/>')
    parts.append("</svg>")
    return "".join(parts)


@functools.lru_cache(maxsize=8)
def _entropy_template(height: int, font_scale: float) -> dict:
    # `height` is the plot's: the legend and the step axis are added to it (autosize "fit-x" below).
    # In a box of that height in all (Streamlit's "fit"), a phone's legend rows and a projector's
    # larger text left the plot ~100 px, shorter than its axis title, which stuck out of the chart.
    chart = alt.Chart(alt.NamedData("entropy")).mark_line(point=True, strokeWidth=2 * font_scale).encode(
        x=alt.X("step:Q", title="Training step"),
        y=alt.Y("entropy:Q", title=["Entropy (nats)", "lower = sharper"]),
        # Two heads a row: one row of four ran past a phone's chart.
        color=alt.Color("head_label:N", title=None, legend=alt.Legend(orient="top", columns=2,
                                                                      labelFontSize=12 * font_scale)),
        tooltip=[alt.Tooltip("head_label:N", title="Head"), alt.Tooltip("step:Q", title="Step"),
                 alt.Tooltip("entropy:Q", format=".2f", title="Entropy")],
    ).properties(height=height)
    uniform = alt.Chart(alt.NamedData("uniform")).mark_rule(strokeDash=[4, 4], color=DIM).encode(y="entropy:Q")
    label = alt.Chart(alt.NamedData("uniform")).mark_text(align="left", dx=4, dy=-6, color=DIM,
                                                          fontSize=11 * font_scale).encode(
        y="entropy:Q", x=alt.value(0), text=alt.value("uniform (no pattern)"))
    spec = alt.layer(chart, uniform, label).configure_axis(labelFontSize=11 * font_scale,
                                                           titleFontSize=12 * font_scale).to_dict()
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}  # as wide as the column, the plot this tall
    return spec


def entropy_chart(rows: list[dict], uniform: float, height: int = 220, font_scale: float = 1.0) -> dict:
    spec = copy.deepcopy(_entropy_template(height, font_scale))
    spec["datasets"] = {"entropy": rows, "uniform": [{"entropy": round(uniform, 3)}]}
    return spec


def attention_deck(matrix, tokens: list[str], height_scale: float | None = None):
    """The same query x key matrix as 3D columns (pydeck ColumnLayer) in a non-geographic orbit
    view: no map, no map token, nothing fetched from the network. Height and colour follow the
    weight; hovering a column tells its query, key and weight."""
    import pydeck as pdk

    T = len(tokens)
    height_scale = height_scale or max(6.0, T / 3)  # a weight of 1 stands a third of the grid tall
    shown = [visible_char(t) for t in tokens]
    rows = []
    for q in range(T):
        for k in range(q + 1):
            w = float(matrix[q][k])
            h = heat_hex(w)
            rows.append({"x": float(k), "y": float(T - 1 - q), "w": w,
                         "color": [int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16), 235],
                         "tip": f"Attention from '{shown[q]}' → '{shown[k]}' = {w:.2f}"})
    layer = pdk.Layer(
        "ColumnLayer", data=rows, get_position=["x", "y"], get_elevation="w", elevation_scale=height_scale,
        radius=0.42, disk_resolution=4, get_fill_color="color", pickable=True, auto_highlight=True,
    )
    # The probe's characters along both edges, as on the 2D axes: keys along the front edge, queries
    # down the left edge (the first character at the back).
    labels = ([{"p": [float(k), -1.4, 0.0], "t": shown[k], "c": [203, 213, 225, 255]} for k in range(T)]
              + [{"p": [-1.4, float(T - 1 - q), 0.0], "t": shown[q], "c": [203, 213, 225, 255]} for q in range(T)])
    # The font atlas holds exactly the characters used (deck.gl's default is ASCII only).
    # pydeck reads plain strings as accessor expressions; pdk.types.String passes a literal string.
    charset = pdk.types.String("".join(sorted({ch for row in labels for ch in row["t"]})))
    text = pdk.Layer("TextLayer", data=labels, get_position="p", get_text="t", get_color="c", get_size=13,
                     size_units=pdk.types.String("pixels"), character_set=charset,
                     font_family=pdk.types.String("monospace"), billboard=True,
                     get_text_anchor=pdk.types.String("middle"), get_alignment_baseline=pdk.types.String("center"))
    # Only the lower triangle has columns (x + y <= T - 1): the camera looks at its centroid, from
    # the front-left, so the tall columns of the diagonal stand against the empty half behind.
    # OrbitView zoom is log2 of pixels per grid unit: the grid spans about 460 px whatever its size.
    third = (T - 1) / 3
    view = pdk.ViewState(target=[third, third, height_scale / 4], zoom=math.log2(460 / max(T, 1)),
                         rotation_orbit=20, rotation_x=45)
    return pdk.Deck(layers=[layer, text], views=[pdk.View(type="OrbitView", controller=True)], initial_view_state=view,
                    map_style=None, map_provider=None, tooltip={"text": "{tip}"})


RUN_COLORS = SERIES_COLORS  # one per run of a comparison (the Lab keeps 8 runs)


def comparison_chart(runs: list[tuple[str, list[Checkpoint]]], total_steps: int, height: int = 380,
                     font_scale: float = 1.0, show_train: bool = True) -> dict:
    """Loss curves of several runs on one chart: validation loss solid, training loss dashed,
    one colour and legend entry per run (its name says what differs from the baseline)."""
    names = [name for name, _ in runs]
    rows = []
    for name, checkpoints in runs:
        for c in checkpoints:
            rows.append({"run": name, "step": c.step, "loss": round(c.val_loss, 3), "curve": "validation"})
            if show_train:
                rows.append({"run": name, "step": c.step, "loss": round(c.train_loss, 3), "curve": "training"})
    # The axis spans the runs' losses in half-nat steps: the gaps between runs are what matters.
    losses = [r["loss"] for r in rows if math.isfinite(r["loss"])] or [1.0, 4.0]
    y_bottom = max(0.0, math.floor((min(losses) - 0.1) * 2) / 2)
    y_top = math.ceil((max(losses) + 0.1) * 2) / 2
    x = alt.X("step:Q", title="Training step", scale=alt.Scale(domain=[0, max(1, total_steps)], nice=False))
    y = alt.Y("loss:Q", title="Loss (lower = better)", scale=alt.Scale(domain=[y_bottom, y_top], nice=False, clamp=True))
    run_scale = alt.Scale(domain=names, range=RUN_COLORS[: max(1, len(names))])
    color = alt.Color("run:N", scale=run_scale, sort=names, legend=alt.Legend(title=None, orient="top", direction="vertical", columns=2,
                                                    labelLimit=420, symbolStrokeWidth=3 * font_scale))
    dash = alt.StrokeDash("curve:N", scale=alt.Scale(domain=["validation", "training"], range=[[1, 0], [5, 4]]),
                          legend=alt.Legend(title=None, orient="top", direction="horizontal"))
    tooltip = [alt.Tooltip("run:N", title="Run"), alt.Tooltip("curve:N", title="Loss on"),
               alt.Tooltip("step:Q", title="Step"), alt.Tooltip("loss:Q", title="Loss", format=".3f")]
    base = alt.Chart(pd.DataFrame(rows, columns=["run", "step", "loss", "curve"]))
    lines = base.mark_line(strokeWidth=2.5 * font_scale).encode(x=x, y=y, color=color, strokeDash=dash,
                                                                detail="curve:N", tooltip=tooltip)
    points = base.transform_filter(alt.datum.curve == "validation").mark_point(
        filled=True, size=36 * font_scale).encode(x=x, y=y, color=alt.Color("run:N", scale=run_scale, legend=None),
                                                 tooltip=tooltip)
    chart = alt.layer(lines, points).properties(height=height).configure_axis(
        labelFontSize=12 * font_scale, titleFontSize=13 * font_scale).configure_legend(labelFontSize=12.5 * font_scale)
    return chart.to_dict()


# -- mixture of experts ----------------------------------------------------------------------------
EXPERT_COLORS = SERIES_COLORS  # one per expert: the probe text and the charts use the same ones


def expert_share_chart(share, row_height: int = 44, font_scale: float = 1.0) -> dict:
    """Layer x expert heatmap of the share of tokens each expert got, with the share written in.
    Vega fits the axes and the legend into the chart's height: the height holds them as well as
    the rows (it was the rows' alone, and one layer drew as a thin strip), the legend lies under
    the cells, and the shares are written as small as the cells need (8 experts in half a screen)."""
    n_layer, n_expert = share.shape
    rows = [{"layer": f"Layer {l + 1}", "expert": f"E{e + 1}", "share": round(float(share[l, e]), 3)}
            for l in range(n_layer) for e in range(n_expert)]
    even = 1 / n_expert
    base = alt.Chart(pd.DataFrame(rows)).encode(
        x=alt.X("expert:N", title="Expert", sort=None, axis=alt.Axis(labelAngle=0, labelFontSize=12 * font_scale)),
        y=alt.Y("layer:N", title=None, sort=None, axis=alt.Axis(labelFontSize=12 * font_scale)),
        tooltip=[alt.Tooltip("layer:N", title="Layer"), alt.Tooltip("expert:N", title="Expert"),
                 alt.Tooltip("share:Q", title="Share of tokens", format=".0%")])
    cells = base.mark_rect(stroke="#0F172A", strokeWidth=2).encode(
        color=alt.Color("share:Q", title="Share", scale=alt.Scale(domain=[0, max(0.5, 2 * even)], scheme="blues",
                                                               clamp=True),
                        # (its title beside the scale, not over it: a line less, for a projector's first screen)
                        legend=alt.Legend(format=".0%", orient="bottom", direction="horizontal",
                                          gradientLength=int(140 * font_scale), labelFontSize=11 * font_scale,
                                          titleFontSize=12 * font_scale, titleOrient="left", titleAnchor="middle")))
    # "76%" is about 2.6 font sizes wide: in a narrow cell the share is written smaller.
    text = base.mark_text(fontSize=alt.ExprRef(f"min({13 * font_scale:g}, bandwidth('x') / 2.8)"), fontWeight="bold").encode(
        text=alt.Text("share:Q", format=".0%"),
        color=alt.condition(alt.datum.share > even * 1.2, alt.value("#F8FAFC"), alt.value("#0F172A")))
    plot = int(max(row_height, 48) * font_scale) * n_layer
    chart = (cells + text).properties(height=plot + int(90 * font_scale))  # + the expert axis and the legend
    return chart.configure_axis(titleFontSize=12 * font_scale).configure_view(strokeWidth=0).to_dict()


def expert_share_over_time_chart(checkpoints: list[Checkpoint], layer: int, height: int = 220,
                                 font_scale: float = 1.0) -> dict:
    """Each expert's share of tokens in one layer, checkpoint by checkpoint (even work: flat lines)."""
    rows = []
    n_expert = 0
    for c in checkpoints:
        if c.experts is None:
            continue
        share = c.experts["share"][layer]
        n_expert = len(share)
        rows += [{"step": c.step, "expert": f"E{e + 1}", "share": round(float(s), 3)} for e, s in enumerate(share)]
    names = [f"E{e + 1}" for e in range(n_expert)]
    chart = alt.Chart(pd.DataFrame(rows, columns=["step", "expert", "share"])).mark_line(
        strokeWidth=2.5 * font_scale, point=True).encode(
        x=alt.X("step:Q", title="Training step"),
        y=alt.Y("share:Q", title="Share of tokens", axis=alt.Axis(format="%")),
        color=alt.Color("expert:N", scale=alt.Scale(domain=names, range=EXPERT_COLORS[:n_expert]),
                        legend=alt.Legend(title=None, orient="top", direction="horizontal",
                                          columns=4)),  # 8 experts in two rows: one row ran past half a screen
        tooltip=[alt.Tooltip("step:Q", title="Step"), alt.Tooltip("expert:N", title="Expert"),
                 alt.Tooltip("share:Q", title="Share", format=".0%")])
    return chart.properties(height=height).configure_axis(labelFontSize=12 * font_scale, titleFontSize=13 * font_scale) \
        .configure_legend(labelFontSize=12 * font_scale).to_dict()


def run_legend_html(names: list[str]) -> str:
    """The runs' colours of the charts beside it (balance_chart), as a line of HTML that wraps: one
    legend for several charts, as wide as the page, that no name runs out of."""
    items = "".join(
        f'<span style="display:inline-flex; align-items:center; gap:0.4em; margin-right:1.4em">'
        f'<span style="width:0.8em; height:0.8em; border-radius:50%; background:{color}; flex:none"></span>'
        f'{html.escape(name)}</span>' for name, color in ((name, series_color(i)) for i, name in enumerate(names)))
    return f'<div class="lb-run-legend" style="display:flex; flex-wrap:wrap; row-gap:0.3em; font-size:0.875rem; color:#CBD5E1">{items}</div>'


def balance_chart(runs: list[tuple[str, list[Checkpoint]]], n_layer: int, height: int = 220,
                  font_scale: float = 1.0, busiest: bool = False) -> dict:
    """Over training, one line per run: the load-balancing loss per layer (1.0 = perfectly even),
    or with `busiest` the share of tokens of the busiest expert of any layer."""
    field, title, fmt = ("busiest", "Busiest expert's share", "%") if busiest else ("balance", "Balancing loss per layer", ".2f")
    rows = [{"run": name, "step": c.step,
             "balance": round(c.experts["balance"] / n_layer, 3),
             "busiest": round(float(c.experts["share"].max()), 3)}
            for name, checkpoints in runs for c in checkpoints if c.experts is not None]
    n_expert = next((c.experts["share"].shape[1] for _, cs in runs for c in cs if c.experts is not None), 1)
    names = [name for name, _ in runs]
    even = alt.Chart(pd.DataFrame([{"y": 1 / n_expert if busiest else 1.0}])).mark_rule(
        color=DIM, strokeDash=[4, 4]).encode(y="y:Q")
    lines = alt.Chart(pd.DataFrame(rows, columns=["run", "step", "balance", "busiest"])).mark_line(
        strokeWidth=2.5 * font_scale, point=True).encode(
        x=alt.X("step:Q", title="Training step"),
        y=alt.Y(f"{field}:Q", title=title, scale=alt.Scale(zero=busiest), axis=alt.Axis(format=fmt)),
        # No legend of its own: the page draws one (run_legend_html) above the charts it shares. Vega
        # centres a top legend over the plot and never wraps it, so a run's name ("8 experts, top-1,
        # balancing on") wider than a half-width plot on a projector ran past the chart's edge.
        color=alt.Color("run:N", scale=alt.Scale(domain=names, range=RUN_COLORS[: max(1, len(names))]), legend=None),
        tooltip=[alt.Tooltip("run:N", title="Run"), alt.Tooltip("step:Q", title="Step"),
                 alt.Tooltip(f"{field}:Q", title=title, format=".0%" if busiest else ".3f")])
    return (even + lines).properties(height=height).configure_axis(
        labelFontSize=12 * font_scale, titleFontSize=13 * font_scale).configure_legend(labelFontSize=12 * font_scale).to_dict()


def author_words_chart(runs: list[tuple[str, list[tuple[float, float]]]], height: int = 260,
                       font_scale: float = 1.0) -> dict:
    """The Style page's comparison: for each run, the share of the author's words in its samples
    (0-1) against seconds of training, one line per run. Seconds, not steps: a fine-tuned base
    and a small model from scratch take steps of very different cost, and the lesson is what each
    learns in the same time."""
    names = [name for name, _ in runs]
    rows = [{"run": name, "seconds": round(t, 2), "share": round(share, 3)} for name, points in runs
            for t, share in points]
    x = alt.X("seconds:Q", title="Seconds of training", scale=alt.Scale(domainMin=0, nice=False))
    y = alt.Y("share:Q", title="Your words in its writing", axis=alt.Axis(format="%"),
              scale=alt.Scale(domain=[0, 1], nice=False))
    run_scale = alt.Scale(domain=names, range=RUN_COLORS[: max(1, len(names))])
    color = alt.Color("run:N", scale=run_scale, sort=names,
                      legend=alt.Legend(title=None, orient="top", direction="horizontal", labelLimit=420,
                                        symbolStrokeWidth=3 * font_scale))
    tooltip = [alt.Tooltip("run:N", title="Run"), alt.Tooltip("seconds:Q", title="Seconds", format=".1f"),
               alt.Tooltip("share:Q", title="Your words", format=".0%")]
    base = alt.Chart(pd.DataFrame(rows, columns=["run", "seconds", "share"]))
    lines = base.mark_line(strokeWidth=2.5 * font_scale).encode(x=x, y=y, color=color, tooltip=tooltip)
    points = base.mark_point(filled=True, size=36 * font_scale).encode(
        x=x, y=y, color=alt.Color("run:N", legend=None, scale=run_scale), tooltip=tooltip)
    chart = alt.layer(lines, points).properties(height=height).configure_axis(
        labelFontSize=12 * font_scale, titleFontSize=13 * font_scale).configure_legend(labelFontSize=12 * font_scale)
    return chart.to_dict()
