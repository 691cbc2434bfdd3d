"""Altair charts of the journey pages: tensors as heatmaps, vectors and distributions as bars, and the
journey map's metro line. Data in, Vega-Lite dict out."""
from __future__ import annotations

import copy
import functools
import textwrap

import altair as alt
import numpy as np
import pandas as pd

from llmbreaker.charts.palette import BLUE, GREEN, PINK, TEXT
from llmbreaker.charts.training import visible_char
from llmbreaker.lessons.journey import FIRST_STATION, STATIONS


def position_labels(chars: list[str]) -> list[str]:
    """'0 K', '1 I', ... : unique row labels, the character shown (space as ␣)."""
    return [f"{i} {visible_char(c)}" for i, c in enumerate(chars)]


def _configure(chart, font_scale: float):
    return chart.configure_axis(labelFontSize=11 * font_scale, titleFontSize=12 * font_scale, labelColor=TEXT,
                                titleColor=TEXT, gridColor="#1E293B").configure_view(strokeWidth=0) \
        .configure_legend(labelFontSize=11 * font_scale, titleFontSize=11 * font_scale, labelColor=TEXT,
                          titleColor=TEXT).configure_title(color="#E2E8F0", fontSize=13 * font_scale, anchor="start")


def heatmap(matrix: np.ndarray, rows: list[str], cols: list[str] | None = None, *, title: str = "",
            query: int | None = None, kind: str = "signed", height: int = 260, width=None,
            font_scale: float = 1.0, x_title: str = "", y_title: str = "") -> dict:
    """A T × n matrix: one row per position. kind "signed" (blue < 0 < orange, centred on 0),
    "prob" (0..1, dark to light blue). -inf cells (the causal mask) are left blank. The query row is
    drawn full strength and outlined, the others faded.

    The chart's shape is built with Altair once per layout (cached) and each call fills in the data
    and the colour range: the microscope draws about 25 of these per change of a control."""
    m = np.asarray(matrix, dtype=np.float64)
    n_rows, n_cols = m.shape
    cols = cols or [str(j) for j in range(n_cols)]
    r_idx, c_idx = np.meshgrid(np.arange(n_rows), np.arange(n_cols), indexing="ij")
    values = m.ravel()
    finite = np.isfinite(values)
    r, c, v = r_idx.ravel()[finite], c_idx.ravel()[finite], np.round(values[finite], 4)
    cells = [{"row": rows[i], "col": cols[j], "v": float(x), "hl": bool(query is None or i == query)}
             for i, j, x in zip(r.tolist(), c.tolist(), v.tolist())]
    spec = copy.deepcopy(_heatmap_template(tuple(rows), tuple(cols), title, query is not None, kind, height, width,
                                           font_scale, x_title, y_title))
    if kind != "prob":
        bound = float(np.abs(v).max()) if v.size and np.abs(v).max() > 0 else 1.0
        spec["encoding"]["color"]["scale"]["domain"] = [-bound, 0, bound]
    spec["datasets"] = {"cells": cells}
    return spec


@functools.lru_cache(maxsize=256)
def _heatmap_template(rows: tuple, cols: tuple, title: str, outline: bool, kind: str, height: int, width,
                      font_scale: float, x_title: str, y_title: str) -> dict:
    legend = alt.Legend(gradientLength=min(200, max(60, height - 80)), format=".1f" if kind == "prob" else ".2g")
    if kind == "prob":
        scale = alt.Scale(domain=[0, 1], range=["#0F172A", "#60A5FA", "#DBEAFE"], interpolate="rgb")
    else:
        # Blue below 0, orange above, dark at 0: on the dark page a zero is "nothing", as it should look.
        scale = alt.Scale(domain=[-1, 0, 1], interpolate="rgb", range=["#60A5FA", "#1E293B", "#FB923C"])
    many_cols = len(cols) > 40
    # labelFlush off: Streamlit's theme turns it on for every axis, which on a band axis moves the
    # first label to the edge of the chart, half a row onto the second ("0 K" over "1 I").
    x = alt.X("col:O", sort=list(cols), title=x_title or None,
              axis=alt.Axis(labels=not many_cols, ticks=False, labelAngle=0, labelFont="monospace",
                            labelOverlap=True, labelFlush=False))
    y = alt.Y("row:O", sort=list(rows), title=y_title or None,
              axis=alt.Axis(ticks=False, labelFont="monospace", labelOverlap=False, labelFlush=False))
    chart = alt.Chart(alt.NamedData("cells")).mark_rect(strokeWidth=1.2).encode(
        x=x, y=y, color=alt.Color("v:Q", title=None, scale=scale, legend=legend),
        opacity=alt.condition("datum.hl", alt.value(1.0), alt.value(0.45)),
        stroke=alt.condition("datum.hl && " + ("true" if outline else "false"), alt.value("#FACC15"),
                             alt.value(None)),
        tooltip=[alt.Tooltip("row:N", title="Position"), alt.Tooltip("col:N", title="Column"),
                 alt.Tooltip("v:Q", title="Value", format=".4f")],
    ).properties(height=height, title=title, **({"width": width} if width else {}))
    return _configure(chart, font_scale).to_dict(validate=False)


def bars(labels: list[str], values, *, title: str = "", highlight: int | None = None, height: int = 220,
         font_scale: float = 1.0, x_title: str = "", y_title: str = "", fmt: str = ".3f", horizontal: bool = False,
         colors: list[str] | None = None, sort: bool = False) -> dict:
    """Bars of a vector or a distribution; `highlight` draws one bar in pink; `colors` one per bar."""
    vals = [float(v) for v in values]
    frame = pd.DataFrame({"label": labels, "v": vals, "i": range(len(vals))})
    frame["color"] = colors or [PINK if i == highlight else BLUE for i in range(len(vals))]
    order = list(frame.sort_values("v", ascending=False)["label"]) if sort else list(labels)
    cat = alt.X("label:N", sort=order, title=x_title or None,
                axis=alt.Axis(labelAngle=0, labelFont="monospace", labelFontSize=13 * font_scale, labelOverlap=False,
                              labelFlush=False))  # flush: the first label off its bar, onto the second's
    val = alt.Y("v:Q", title=y_title or None)
    if horizontal:  # the labels in full ("validation"), not cut to Vega's default width
        cat = alt.Y("label:N", sort=order, title=x_title or None,
                    axis=alt.Axis(labelFont="monospace", labelFontSize=13 * font_scale, labelOverlap=False,
                                  labelLimit=0, labelFlush=False))
        val = alt.X("v:Q", title=y_title or None)
    chart = alt.Chart(frame).mark_bar(cornerRadius=2).encode(
        **({"y": cat, "x": val} if horizontal else {"x": cat, "y": val}),
        color=alt.Color("color:N", scale=None),
        tooltip=[alt.Tooltip("label:N", title=x_title or "Item"), alt.Tooltip("v:Q", title=y_title or "Value", format=fmt)],
    ).properties(height=height, title=_title_lines(title, font_scale))
    return _configure(chart, font_scale).to_dict(validate=False)


def _title_lines(title: str, font_scale: float):
    """A long title on several lines: Vega ends a title wider than its chart with "…" (half a
    screen holds ~40 characters of title, ~28 in workshop mode)."""
    width = int(40 / font_scale ** 0.75)
    return textwrap.wrap(title, width) if len(title) > width else title


def vector_bars(vectors: dict[str, np.ndarray], *, height: int = 200, font_scale: float = 1.0, title: str = "",
                width: int = 600) -> dict:
    """Several vectors of the same length, one row of bars each (dimension on x, value on y)."""
    rows = []
    for name, vec in vectors.items():
        rows += [{"vector": name, "dim": j, "v": round(float(x), 4)} for j, x in enumerate(vec)]
    frame = pd.DataFrame(rows)
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("dim:O", title="dimension", axis=alt.Axis(labelAngle=0, labelOverlap=True)),
        y=alt.Y("v:Q", title=None),
        color=alt.condition("datum.v >= 0", alt.value("#F97316"), alt.value(BLUE)),
        row=alt.Row("vector:N", sort=list(vectors), title=None,
                    header=alt.Header(labelAngle=0, labelAlign="left", labelFontSize=12 * font_scale, labelColor=TEXT)),
        tooltip=[alt.Tooltip("vector:N"), alt.Tooltip("dim:O", title="Dimension"), alt.Tooltip("v:Q", format=".4f")],
    ).properties(height=height // max(1, len(vectors)), width=width, title=title)
    return _configure(chart, font_scale).to_dict(validate=False)


def sampling_bars(chars: list[str], base: np.ndarray, shaped: np.ndarray, kept: np.ndarray, final: np.ndarray, *,
                  limit: int = 30, height: int = 320, font_scale: float = 1.0) -> dict:
    """The most likely next characters: bar = probability after temperature, grey when top-k / top-p
    cut it; a white tick at the model's own probability (temperature 1); labels = the probability it
    is really drawn with."""
    order = np.argsort(-shaped, kind="stable")[:limit]
    frame = pd.DataFrame({
        "char": [visible_char(chars[i]) for i in order],
        "p": [round(float(shaped[i]), 4) for i in order],
        "own": [round(float(base[i]), 4) for i in order],
        "final": [round(float(final[i]), 4) for i in order],
        "state": ["kept" if kept[i] else "cut off" for i in order],
    })
    frame["label"] = [f"{v:.0%}" if v >= 0.01 else "" for v in frame["final"]]
    frame["rank"] = range(len(frame))
    x = alt.X("char:N", sort=list(frame["char"]), title="Next character (most likely first)",
              axis=alt.Axis(labelAngle=0, labelFont="monospace", labelFontSize=14 * font_scale, labelOverlap=False,
                            labelFlush=False))
    colors = alt.Scale(domain=["kept", "cut off"], range=[BLUE, "#334155"])
    tooltip = [alt.Tooltip("char:N", title="Character"), alt.Tooltip("own:Q", title="Model's own", format=".1%"),
               alt.Tooltip("p:Q", title="After temperature", format=".1%"),
               alt.Tooltip("final:Q", title="Drawn with", format=".1%"), alt.Tooltip("state:N", title="")]
    bar = alt.Chart(frame).mark_bar(cornerRadiusEnd=3).encode(
        x=x, y=alt.Y("p:Q", title="Probability", axis=alt.Axis(format="%")),
        color=alt.Color("state:N", scale=colors, legend=alt.Legend(title=None, orient="top")), tooltip=tooltip)
    tick = alt.Chart(frame).mark_tick(color="#F8FAFC", thickness=2 * font_scale, size=14 * font_scale).encode(
        x=x, y="own:Q", tooltip=tooltip)
    text = alt.Chart(frame).mark_text(dy=-8 * font_scale, color=TEXT, fontSize=11 * font_scale).encode(
        x=x, y=alt.Y("p:Q"), text="label:N")
    # As many bars as have room for their labels (26 px each, at least 10): on a phone 30 labels ran
    # into each other. `width` is the chart's own, so this follows the column.
    fits = f"datum.rank < max(10, floor(width / {26 * font_scale:.0f}))"
    return _configure(alt.layer(bar, tick, text).transform_filter(fits).properties(height=height),
                      font_scale).to_dict(validate=False)


LINE, START = BLUE, GREEN  # the metro line, its first station


def metro_chart(page_titles: dict[str, str], scale: float = 1.0) -> dict:
    """The stations on one line, left to right; the first station for a newcomer ringed in green.
    Hover a station for its preview (with the titles of its pages: `page_titles`, key -> title)."""
    rows = []
    for i, s in enumerate(STATIONS):
        rows.append({"x": i, "y": 0, "key": s.key, "title": s.title,
                     "preview": s.preview,
                     "pages": ", ".join(page_titles[p] for p in s.pages if p in page_titles),
                     "start": s.key == FIRST_STATION})
    frame = pd.DataFrame(rows)
    # The summary under each station, a few short lines placed one under another in data units.
    lines = pd.DataFrame([{"x": i, "y": -0.42 - 0.2 * n, "line": text, "title": s.title, "preview": s.preview,
                           "pages": rows[i]["pages"]}
                          for i, s in enumerate(STATIONS) for n, text in enumerate(textwrap.wrap(s.summary, 22 if scale == 1 else 17))])
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[-0.55, len(STATIONS) - 0.45]))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[-1.3, 0.7]))
    tooltip = [alt.Tooltip("title:N", title="Station"), alt.Tooltip("preview:N", title="Preview"),
               alt.Tooltip("pages:N", title="Pages")]
    base = alt.Chart(frame).encode(x=x, y=y)
    line = base.mark_line(color=LINE, strokeWidth=10 * scale, strokeCap="round")
    halo = base.transform_filter("datum.start").mark_circle(size=2600 * scale ** 2, color=START, opacity=0.25)
    stops = base.mark_point(filled=True, size=900 * scale ** 2, strokeWidth=5 * scale, cursor="pointer").encode(
        fill=alt.condition("datum.start", alt.value(START), alt.value("#0F172A")),
        stroke=alt.condition("datum.start", alt.value("#A7F3D0"), alt.value("#E2E8F0")), tooltip=tooltip)
    titles = base.mark_text(dy=-34 * scale, fontSize=17 * scale, fontWeight="bold", color="#F1F5F9").encode(
        text="title:N", tooltip=tooltip)
    start = base.transform_filter("datum.start").mark_text(dy=-58 * scale, fontSize=12 * scale, fontWeight="bold",
                                                            color="#34D399").encode(text=alt.value("START HERE ▾"))
    summaries = alt.Chart(lines).mark_text(fontSize=12.5 * min(scale, 1.3), color="#CBD5E1").encode(
        x=x, y=y, text="line:N", tooltip=tooltip)
    chart = alt.layer(line, halo, stops, titles, start, summaries).properties(
        height=int(250 * scale), width="container")
    return chart.configure_view(strokeWidth=0).to_dict()


def metro_chart_narrow(page_titles: dict[str, str], scale: float = 1.0) -> dict:
    """The same stations top to bottom, for a narrow column: each name with its summary on lines
    beside the line, laid out in pixels (y without a scale), so nothing depends on the column's width."""
    wrap = 34 if scale == 1 else 26
    size, summary_size = 17 * scale, 13 * min(scale, 1.3)
    rows, lines, top = [], [], 8 * scale
    for i, s in enumerate(STATIONS):
        start = s.key == FIRST_STATION
        if start:
            top += 18 * scale  # room for "START HERE" above the name
        pages = ", ".join(page_titles[p] for p in s.pages if p in page_titles)
        y = top + size * 0.7
        rows.append({"y": y, "key": s.key, "title": s.title, "preview": s.preview, "pages": pages, "start": start})
        wrapped = textwrap.wrap(s.summary, wrap)
        lines += [{"y": y + (size * 0.6 + summary_size * (0.9 + 1.3 * n)), "line": text, "title": s.title,
                   "preview": s.preview, "pages": pages} for n, text in enumerate(wrapped)]
        top = y + size * 0.6 + summary_size * 1.3 * len(wrapped) + 22 * scale
    frame = pd.DataFrame(rows)
    dot_x, text_x = 24 * scale, 52 * scale
    y = alt.Y("y:Q", axis=None, scale=None)  # pixels from the top
    tooltip = [alt.Tooltip("title:N", title="Station"), alt.Tooltip("preview:N", title="Preview"),
               alt.Tooltip("pages:N", title="Pages")]
    base = alt.Chart(frame).encode(y=y)
    line = base.mark_line(color=LINE, strokeWidth=8 * scale, strokeCap="round").encode(x=alt.value(dot_x))
    halo = base.transform_filter("datum.start").mark_circle(size=1800 * scale ** 2, color=START, opacity=0.25).encode(
        x=alt.value(dot_x))
    stops = base.mark_point(filled=True, size=600 * scale ** 2, strokeWidth=4 * scale, opacity=1, cursor="pointer").encode(
        x=alt.value(dot_x), fill=alt.condition("datum.start", alt.value(START), alt.value("#0F172A")),
        stroke=alt.condition("datum.start", alt.value("#A7F3D0"), alt.value("#E2E8F0")), tooltip=tooltip)
    titles = base.mark_text(align="left", baseline="middle", fontSize=size, fontWeight="bold", color="#F1F5F9").encode(
        x=alt.value(text_x), text="title:N", tooltip=tooltip)
    start = base.transform_filter("datum.start").mark_text(
        align="left", baseline="middle", dy=-20 * scale, fontSize=12 * scale, fontWeight="bold", color="#34D399").encode(
        x=alt.value(text_x), text=alt.value("START HERE ▾"))
    summaries = alt.Chart(pd.DataFrame(lines)).mark_text(
        align="left", baseline="middle", fontSize=summary_size, color="#CBD5E1").encode(
        x=alt.value(text_x), y=y, text="line:N", tooltip=tooltip)
    chart = alt.layer(line, halo, stops, titles, start, summaries).properties(height=int(top), width="container")
    return chart.configure_view(strokeWidth=0).to_dict()
