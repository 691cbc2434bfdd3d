"""Scaling laws page (level 5 playground, docs/design.md §Scaling).

The page is built from sections, each a function, so more can follow on the same page:
`formula_section()` is the Chinchilla fit with the registry's models placed on it; a live
experiment section (small models trained here) is meant to be appended after it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from llmbreaker.charts.compare import style_chart
from llmbreaker.charts.scaling import loss_compute_chart, params_tokens_chart
from llmbreaker.lessons import arch_math as am
from llmbreaker.lessons import scaling_laws as sl
from llmbreaker.ui.shell import font_scale, page_header
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
