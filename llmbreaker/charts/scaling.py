"""The scaling page's charts (docs/design.md §Scaling): loss against compute on the Chinchilla fit with
published models placed on it, parameters against tokens, and the live experiment's IsoFLOP curve."""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from llmbreaker.charts.compare import COUNT_LABELS
from llmbreaker.charts.training import RUN_COLORS
from llmbreaker.lessons import arch_math as am
from llmbreaker.lessons import scaling_experiment as se
from llmbreaker.lessons import scaling_laws as sl

POWER_LABELS = "'10^' + round(log(datum.value) / LN10)"
KIND_SHAPES = {"dense model": "circle", "mixture of experts (active params)": "diamond"}


def _decades(lo: float, hi: float) -> list[float]:
    return [10.0 ** e for e in range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1)]


def _model_encodings(points: list[dict], scale: float):
    names = [p["model"] for p in points]
    color = alt.Color("model:N", title="Model", sort=names,
                      scale=alt.Scale(domain=names, scheme="tableau10"),
                      # Two columns: three ran past a phone's chart ("LLaMA-2 70B" cut at its right edge).
                      legend=alt.Legend(orient="bottom", columns=2, symbolSize=int(160 * scale),
                                        symbolType="circle", symbolOpacity=1, labelLimit=260))
    shape = alt.Shape("kind:N", title=None, scale=alt.Scale(domain=list(KIND_SHAPES), range=list(KIND_SHAPES.values())),
                      legend=None)  # the caption says which is a mixture of experts (a diamond)
    return color, shape


def _points_frame(points: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(points)
    df["kind"] = np.where(df["moe"], "mixture of experts (active params)", "dense model")
    return df


def loss_compute_chart(points: list[dict], you: dict, scale: float, fit: sl.Fit = sl.CHINCHILLA_FIT) -> alt.Chart:
    computes = [p["compute"] for p in points] + [you["compute"]]
    lo, hi = min(computes) / 10, max(computes) * 10
    fr = pd.DataFrame(sl.frontier(lo, hi, 61, fit))
    fr["label"] = [f"N = {am.human(n)}, D = {am.human(d)}" for n, d in zip(fr["n_opt"], fr["d_opt"])]
    losses = [p["loss"] for p in points] + [you["loss"]] + fr["loss"].tolist()
    # On two lines: on one it was wider than a half-screen chart in workshop mode.
    x = alt.X("compute:Q", title=["Training compute C = 6·N·D", "(FLOPs, log scale)"],
              scale=alt.Scale(type="log", domain=[lo, hi], nice=False),
              axis=alt.Axis(values=_decades(lo, hi), labelExpr=POWER_LABELS))
    y = alt.Y("loss:Q", title="Loss predicted by the fit (nats per token)",
              scale=alt.Scale(domain=[np.floor(min(losses) * 20) / 20, np.ceil(max(losses) * 20) / 20], nice=False))
    line = alt.Chart(fr).mark_line(color="#94A3B8", strokeWidth=2.5 * scale).encode(
        x=x, y=y, tooltip=[alt.Tooltip("compute:Q", title="Compute", format=".2e"),
                           alt.Tooltip("loss:Q", title="Best possible loss", format=".3f"),
                           alt.Tooltip("label:N", title="Compute-optimal")])
    line_label = alt.Chart(fr.iloc[[6]]).mark_text(color="#94A3B8", align="left", dx=8, dy=-12, fontSize=12 * scale,
                                                   text="compute-optimal frontier").encode(x=x, y=y)
    color, shape = _model_encodings(points, scale)
    pts = alt.Chart(_points_frame(points)).mark_point(filled=True, size=150 * scale, opacity=0.95,
                                                      stroke="#0F172A", strokeWidth=1).encode(
        x=x, y=y, color=color, shape=shape,
        tooltip=[alt.Tooltip("model:N", title="Model"), alt.Tooltip("params:Q", title="Parameters", format=".3s"),
                 alt.Tooltip("tokens:Q", title="Training tokens", format=".3s"),
                 alt.Tooltip("loss:Q", title="Predicted loss", format=".3f"),
                 alt.Tooltip("tokens_per_param_label:N", title="Tokens per parameter")])
    me = pd.DataFrame([you])
    mine = alt.Chart(me).mark_point(filled=True, size=320 * scale, shape="cross", color="#F472B6").encode(
        x=x, y=y, tooltip=[alt.Tooltip("loss:Q", title="Your loss", format=".3f")])
    mine_label = alt.Chart(me).mark_text(align="left", dx=12, dy=0, color="#F472B6", fontSize=13 * scale,
                                         fontWeight="bold", text="your choice").encode(x=x, y=y)
    return alt.layer(line, line_label, pts, mine, mine_label).properties(height=int(460 * scale))


def params_tokens_chart(points: list[dict], you: dict, scale: float, fit: sl.Fit = sl.CHINCHILLA_FIT) -> alt.Chart:
    ns = [p["params"] for p in points] + [you["params"]]
    ds = [p["tokens"] for p in points] + [you["tokens"]]
    nlo, nhi, dlo, dhi = min(ns) / 3, max(ns) * 3, min(ds) / 3, max(ds) * 3
    fr = pd.DataFrame(sl.frontier(1e15, 1e30, 121, fit)).rename(columns={"n_opt": "params", "d_opt": "tokens"})
    fr = fr[(fr["params"] >= nlo) & (fr["params"] <= nhi) & (fr["tokens"] >= dlo) & (fr["tokens"] <= dhi)]
    x = alt.X("params:Q", title="Parameters N (log scale)", scale=alt.Scale(type="log", domain=[nlo, nhi], nice=False),
              axis=alt.Axis(values=_decades(nlo, nhi), labelExpr=COUNT_LABELS))
    y = alt.Y("tokens:Q", title="Training tokens D (log scale)", scale=alt.Scale(type="log", domain=[dlo, dhi], nice=False),
              axis=alt.Axis(values=_decades(dlo, dhi), labelExpr=COUNT_LABELS))
    line = alt.Chart(fr).mark_line(color="#94A3B8", strokeWidth=2.5 * scale).encode(x=x, y=y)
    layers = [line]
    if len(fr):
        layers.append(alt.Chart(fr.iloc[[len(fr) // 3]]).mark_text(
            color="#94A3B8", align="left", dx=10, dy=14, fontSize=12 * scale, text="compute-optimal split").encode(x=x, y=y))
    color, shape = _model_encodings(points, scale)
    layers.append(alt.Chart(_points_frame(points)).mark_point(filled=True, size=150 * scale, opacity=0.95,
                                                              stroke="#0F172A", strokeWidth=1).encode(
        x=x, y=y, color=color, shape=shape,
        tooltip=[alt.Tooltip("model:N", title="Model"),
                 alt.Tooltip("tokens_per_param_label:N", title="Tokens per parameter")]))
    me = pd.DataFrame([you])
    layers.append(alt.Chart(me).mark_point(filled=True, size=320 * scale, shape="cross", color="#F472B6").encode(x=x, y=y))
    layers.append(alt.Chart(me).mark_text(align="left", dx=12, color="#F472B6", fontSize=13 * scale, fontWeight="bold",
                                          text="your choice").encode(x=x, y=y))
    return alt.layer(*layers).properties(height=int(460 * scale))


def experiment_chart(points: list[se.Point], fit, scale: float) -> alt.Chart:
    frame = pd.DataFrame([{"model": p.name, "params": p.parameters, "loss": round(p.val_loss, 3), "steps": p.steps}
                          for p in points])
    x = alt.X("params:Q", title="Parameters N (log scale)", scale=alt.Scale(type="log"),
              axis=alt.Axis(values=[1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6], format="~s", grid=True))
    y = alt.Y("loss:Q", title="Validation loss after the budget", scale=alt.Scale(zero=False))
    dots = alt.Chart(frame).mark_point(filled=True, size=160 * scale, color=RUN_COLORS[0]).encode(
        x=x, y=y, tooltip=[alt.Tooltip("model:N", title="Model"), alt.Tooltip("params:Q", title="Parameters", format=","),
                           alt.Tooltip("steps:Q", title="Steps", format=","), alt.Tooltip("loss:Q", title="Loss", format=".3f")])
    labels = alt.Chart(frame).mark_text(dy=-14 * scale, color="#CBD5E1", fontSize=12 * scale).encode(x=x, y=y, text="model:N")
    layers = [dots, labels]
    if fit is not None:
        xs = np.linspace(np.log10(frame["params"].min()) - 0.1, np.log10(frame["params"].max()) + 0.1, 60)
        curve = pd.DataFrame({"params": 10 ** xs, "loss": np.polyval(fit, xs)})
        layers.insert(0, alt.Chart(curve).mark_line(color=RUN_COLORS[1], strokeDash=[6, 4], strokeWidth=2 * scale)
                      .encode(x=x, y=y))
    return alt.layer(*layers).properties(height=int(320 * scale)).configure_axis(
        labelFontSize=12 * scale, titleFontSize=13 * scale)
