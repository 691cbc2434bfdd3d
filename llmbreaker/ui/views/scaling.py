"""Scaling laws page (level 5 playground, docs/design.md §Scaling).

The page is built from sections, each a function, so more can follow on the same page:
`formula_section()` is the Chinchilla fit with the registry's models placed on it; a live
experiment section (small models trained here) is meant to be appended after it.
"""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from llmbreaker.lessons import arch_math as am
from llmbreaker.lessons import scaling_laws as sl
from llmbreaker.ui.shell import font_scale, page_header
from llmbreaker.ui.views.compare import COUNT_LABELS, style_chart
from llmbreaker.ui.views.scaling_experiment import experiment_section

PAGE = "scaling"
N_CHOICES = [float(v) for v in np.logspace(7, 12, 26)]  # 10 M .. 1 T parameters, 5 steps per decade
D_CHOICES = [float(v) for v in np.logspace(9, 14, 26)]  # 1 B .. 100 T tokens


def _fmt_n(v: float) -> str:
    return am.human(v)


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _fmt_flops(c: float) -> str:
    """1.5e22 -> "1.5 × 10²²"."""
    mant, exp = f"{c:.1e}".split("e")
    return f"{mant} × 10{str(int(exp)).translate(SUPERSCRIPT)}"


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


def _tex_n(v: float) -> str:
    """7.61e9 -> 7.61\\,\\text{B} for LaTeX."""
    parts = am.human(v).split(" ")
    return parts[0] if len(parts) == 1 else parts[0] + r"\,\text{" + parts[1] + "}"


def _sci(v: float) -> str:
    """7.2e23 -> 7.2 \\times 10^{23} for LaTeX."""
    mant, exp = f"{v:.2e}".split("e")
    return rf"{float(mant):.3g} \times 10^{{{int(exp)}}}"


def view() -> None:
    """The Chinchilla fit with the registry's models on it, then the live experiment."""
    page_header("Scaling laws", "Bigger model or more data? The Chinchilla law predicts the loss from both, and "
                "where the compute is best spent.", page=PAGE)
    formula_section()
    experiment_section()


def formula_section() -> None:
    """The Chinchilla fit, C = 6ND, the compute-optimal frontier and the registry's models on it."""
    scale = font_scale()
    fit = sl.CHINCHILLA_FIT
    st.markdown("#### The Chinchilla law")
    st.latex(rf"L(N, D) = E + \frac{{A}}{{N^{{\alpha}}}} + \frac{{B}}{{D^{{\beta}}}}"
             rf"\qquad E = {fit.E},\; A = {fit.A},\; B = {fit.B},\; \alpha = {fit.alpha},\; \beta = {fit.beta}")
    st.caption(f"[{sl.CHINCHILLA.title}]({sl.CHINCHILLA.url}). N: parameters, D: training tokens. E is the loss no "
               "model can beat (the text's own randomness); the two fractions are what a finite model and a finite "
               "amount of data add to it. The loss is in nats per token of the paper's tokenizer, so it cannot be "
               "compared with the character-level loss of the model trained in this app.")

    c1, c2 = st.columns(2)
    N = c1.select_slider("Parameters N", N_CHOICES, value=N_CHOICES[15], format_func=_fmt_n, key="scaling_n",
                         help="The size of the model: how many numbers training tunes.")
    D = c2.select_slider("Training tokens D", D_CHOICES, value=D_CHOICES[12], format_func=_fmt_n, key="scaling_d",
                         help="How much text it reads in training, in tokens (a token is roughly 3/4 of a word).")
    C = float(sl.compute(N, D))
    L = float(fit.loss(N, D))
    n_opt, d_opt, l_opt = float(fit.n_opt(C)), float(fit.d_opt(C)), float(fit.loss_opt(C))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Predicted loss", f"{L:.3f}", help="L(N, D) from the fit.")
    m2.metric("Compute", _fmt_flops(C) + " FLOPs", help="C ≈ 6·N·D: 2 FLOPs per parameter forward, 4 backward, "
                                                         "for every training token.")
    m3.metric("Tokens per parameter", sl.format_ratio(D / N), help="The fit's best split is about 20 tokens per parameter "
                                                            "at Chinchilla's budget.")
    m4.metric("Best loss for this compute", f"{l_opt:.3f}", delta=f"{l_opt - L:+.3f}", delta_color="inverse",
              help="The lowest loss the fit predicts for the same compute, with the optimal split below.")
    st.latex(rf"C \approx 6ND = 6 \times {_sci(N)} \times {_sci(D)} = {_sci(C)}\ \text{{FLOPs}}")
    st.latex(rf"N_{{opt}} = G\left(\tfrac{{C}}{{6}}\right)^{{a}} = {_tex_n(n_opt)},\qquad "
             rf"D_{{opt}} = G^{{-1}}\left(\tfrac{{C}}{{6}}\right)^{{b}} = {_tex_n(d_opt)}")
    st.latex(rf"G = \left(\tfrac{{\alpha A}}{{\beta B}}\right)^{{1/(\alpha+\beta)}} = {fit.G:.3f},\quad "
             rf"a = \tfrac{{\beta}}{{\alpha+\beta}} = {fit.a:.3f},\quad b = \tfrac{{\alpha}}{{\alpha+\beta}} = {fit.b:.3f}")
    st.caption("For a fixed compute C, making the model bigger means reading fewer tokens and the other way round; "
               "the fit's minimum is the compute-optimal split. (The paper reports a = 0.46, b = 0.54 for this "
               "approach; its rounded constants give the values above.)")

    points, skipped = sl.model_points(fit=fit)
    you = {"params": N, "tokens": D, "compute": C, "loss": L}
    left, right = st.columns(2)
    with left:
        st.altair_chart(style_chart(loss_compute_chart(points, you, scale, fit), scale), width="stretch")
        st.caption("The grey curve is the lowest loss the fit allows for each compute budget. Models sit on it or "
                   "above it: above means the same compute could have been split better for training loss. "
                   "Diamonds are mixtures of experts, placed by their active parameters.")
    with right:
        st.altair_chart(style_chart(params_tokens_chart(points, you, scale, fit), scale), width="stretch")
        st.caption("Where models sit in size and data. Below the grey line is too little data for the size "
                   "(GPT-3); far above it is many more tokens than the fit's optimum (LLaMA-3 8B reads "
                   "about 1,900 tokens per parameter): smaller models that cost more to train but less to run.")

    table = pd.DataFrame([{"Model": p["model"], "Parameters": am.human(p["params"]) + (" active" if p["moe"] else ""),
                           "Training tokens": am.human(p["tokens"]), "Compute (FLOPs)": f"{p['compute']:.2e}",
                           "Tokens per parameter": sl.format_ratio(p["tokens_per_param"]),
                           "Predicted loss": f"{p['loss']:.3f}", "Source of the token count": p["source"]}
                          for p in points])
    # A table whose long cells wrap (the sources): a data grid's columns ran off the page at 1280 px.
    st.table(table.set_index("Model"))
    st.caption("Only models whose training tokens are published are placed. Not placed (token count not published): "
               + ", ".join(skipped) + ". The losses are what the Chinchilla fit predicts for each N and D, not measured "
               "losses: the models used other data and tokenizers. For mixtures of experts the active parameters "
               "stand in for N; the fit was made on dense models.")
