"""The Compare page's charts (docs/design.md §Compare): parameters, total vs active, KV cache per token and
over a context, compute per token, for two or three published architectures."""
from __future__ import annotations

import json

import altair as alt
import numpy as np
import pandas as pd

from llmbreaker.lessons import arch_math as am
from llmbreaker.lessons.registry import Arch

MODEL_COLORS = ["#60A5FA", "#F472B6", "#FBBF24"]  # blue, pink, amber: one per chosen model on every chart
COMPONENT_COLORS = {"Embeddings": "#38BDF8", "Output head": "#818CF8", "Attention": "#F472B6",
                    "Feed-forward": "#34D399", "Experts": "#FBBF24", "Norms & router": "#94A3B8"}
CONTEXTS = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]


def style_chart(chart: alt.TopLevelMixin, scale: float) -> alt.TopLevelMixin:
    """The dark-theme axes and legends of the modern-models pages, text scaled for workshop mode."""
    return chart.configure_axis(labelFontSize=12 * scale, titleFontSize=13 * scale, labelColor="#CBD5E1",
                                titleColor="#E2E8F0", gridColor="#334155", domainColor="#475569") \
        .configure_legend(labelFontSize=12 * scale, titleFontSize=12 * scale, labelColor="#E2E8F0",
                          titleColor="#E2E8F0", orient="top", labelLimit=400) \
        .configure_view(strokeWidth=0)


def usable_context(m: Arch, context: int) -> int:
    """A model cannot read more than its own context: the chosen length, capped at it."""
    return min(context, m.context)


def _bar_height(n_bars: int, per_bar: int, scale: float) -> int:
    """Vega's "fit" counts the legend and the axes in the height: room for them plus each bar."""
    return int((120 + per_bar * n_bars) * scale)


# Axis labels for people: 7 B, 320 K, not Vega's SI "7G".
COUNT_LABELS = ("datum.value >= 1e12 ? format(datum.value / 1e12, '~g') + ' T' : "
                "datum.value >= 1e9 ? format(datum.value / 1e9, '~g') + ' B' : "
                "datum.value >= 1e6 ? format(datum.value / 1e6, '~g') + ' M' : "
                "datum.value >= 1e3 ? format(datum.value / 1e3, '~g') + ' K' : format(datum.value, '~g')")


def _log_base(values) -> float:
    """Where bars on a log axis start: the power of ten below the smallest value."""
    return 10.0 ** np.floor(np.log10(max(min(v for v in values if v > 0), 1e-12)))


def _bar_scale(values, log: bool) -> alt.Scale:
    if not log:
        return alt.Scale()
    return alt.Scale(type="log", domain=[_log_base(values), max(values) * 4], nice=False)


def _bar_axis(values, log: bool, **kwargs) -> alt.Axis:
    """Grid lines at every power of ten on a log axis, not Vega's crowd of minor ticks."""
    if not log:
        return alt.Axis(**kwargs)
    lo, hi = _log_base(values), max(values) * 4
    decades = [10.0 ** e for e in range(int(np.log10(lo)), int(np.ceil(np.log10(hi))) + 1)]
    return alt.Axis(values=decades, **kwargs)


def _log_if_wide(values: list[float]) -> bool:
    vals = [v for v in values if v > 0]
    return bool(vals) and max(vals) / min(vals) > 200


# -- charts -----------------------------------------------------------------------------------------
def params_chart(models: list[Arch], scale: float) -> alt.Chart:
    rows = []
    for m in models:
        b, total = am.breakdown(m), am.total_params(m)
        for comp in am.COMPONENTS:
            if b[comp]:
                rows.append({"model": m.name, "component": comp, "params": b[comp], "share": b[comp] / total,
                             "label": am.human(b[comp])})
    df = pd.DataFrame(rows)
    return alt.Chart(df).mark_bar(cornerRadius=2).encode(
        y=alt.Y("model:N", title=None, sort=[m.name for m in models], axis=alt.Axis(labelLimit=300)),
        x=alt.X("share:Q", title="Share of all parameters", axis=alt.Axis(format="%"), stack="normalize"),
        color=alt.Color("component:N", title=None, sort=list(am.COMPONENTS),
                        legend=alt.Legend(columns=2),  # three ran past a phone's chart ("Norms & router")
                        scale=alt.Scale(domain=list(COMPONENT_COLORS), range=list(COMPONENT_COLORS.values()))),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("model:N", title="Model"), alt.Tooltip("component:N", title="Part"),
                 alt.Tooltip("label:N", title="Parameters"), alt.Tooltip("share:Q", title="Share", format=".1%")],
    ).transform_calculate(order=f"indexof({json.dumps(list(am.COMPONENTS))}, datum.component)").properties(
        height=_bar_height(len(models), 48, scale))


def total_active_chart(models: list[Arch], scale: float) -> alt.Chart:
    rows = []
    for m in models:
        rows.append({"model": m.name, "kind": "Total", "params": am.total_params(m), "label": am.human(am.total_params(m))})
        rows.append({"model": m.name, "kind": "Active per token", "params": am.active_params(m),
                     "label": am.human(am.active_params(m))})
    df = pd.DataFrame(rows)
    log = _log_if_wide(df["params"].tolist())
    df["base"] = _log_base(df["params"]) if log else 0
    x = alt.X("params:Q", title="Parameters" + (" (log scale)" if log else ""),
              scale=_bar_scale(df["params"], log), axis=_bar_axis(df["params"], log, labelExpr=COUNT_LABELS))
    base = alt.Chart(df).encode(
        y=alt.Y("model:N", title=None, sort=[m.name for m in models], axis=alt.Axis(labelLimit=300)),
        yOffset=alt.YOffset("kind:N", sort=["Total", "Active per token"]),
        x=x, tooltip=[alt.Tooltip("model:N", title="Model"), alt.Tooltip("kind:N", title=""),
                      alt.Tooltip("label:N", title="Parameters")])
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        x2="base:Q",
        color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=["Total", "Active per token"],
                                                              range=["#60A5FA", "#FBBF24"])))
    text = base.mark_text(align="left", dx=4, color="#E2E8F0", fontSize=12 * scale).encode(text="label:N")
    return (bars + text).properties(height=_bar_height(len(models), 70, scale))


def kv_per_token_chart(models: list[Arch], bytes_per_value: float, what_if: bool, scale: float) -> alt.Chart:
    rows = []
    for m in models:
        rows.append({"model": m.name, "kind": f"as built ({m.attention})",
                     "bytes": am.kv_cache_bytes_per_token(m, bytes_per_value),
                     "label": am.human_bytes(am.kv_cache_bytes_per_token(m, bytes_per_value))})
        if what_if and m.attention != "MHA":
            mha = am.as_mha(m)
            rows.append({"model": m.name, "kind": "what if it used MHA",
                         "bytes": am.kv_cache_bytes_per_token(mha, bytes_per_value),
                         "label": am.human_bytes(am.kv_cache_bytes_per_token(mha, bytes_per_value))})
    df = pd.DataFrame(rows)
    df["group"] = df["kind"].where(df["kind"] == "what if it used MHA", "as built")
    df["kib"] = df["bytes"] / 1024
    log = _log_if_wide(df["bytes"].tolist())
    df["base"] = _log_base(df["kib"]) if log else 0
    base = alt.Chart(df).encode(
        y=alt.Y("model:N", title=None, sort=[m.name for m in models], axis=alt.Axis(labelLimit=300)),
        yOffset=alt.YOffset("group:N", sort=["as built", "what if it used MHA"]),
        x=alt.X("kib:Q", title="KV cache per token, KiB" + (" (log scale)" if log else ""),
                scale=_bar_scale(df["kib"], log), axis=_bar_axis(df["kib"], log, format=",~g" if log else ",.0f")),
        tooltip=[alt.Tooltip("model:N", title="Model"), alt.Tooltip("kind:N", title=""),
                 alt.Tooltip("label:N", title="Per token")])
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        x2="base:Q",
        color=alt.Color("group:N", title=None, scale=alt.Scale(domain=["as built", "what if it used MHA"],
                                                               range=["#60A5FA", "#64748B"])))
    text = base.mark_text(align="left", dx=4, color="#E2E8F0", fontSize=12 * scale).encode(text="kind_label:N")
    return (bars + text.transform_calculate(kind_label="datum.label + '  ' + datum.kind")).properties(
        height=_bar_height(len(models), 70 if what_if else 45, scale))


def kv_context_chart(models: list[Arch], bytes_per_value: float, context: int, what_if: bool, scale: float) -> alt.Chart:
    rows = []
    for m in models:
        variants = [(m, m.name)]
        if what_if and m.attention != "MHA":
            variants.append((am.as_mha(m), m.name + " if MHA"))
        for v, label in variants:
            for n in sorted({c for c in CONTEXTS if c < m.context} | {m.context}):
                rows.append({"model": m.name, "line": label, "dashed": label != m.name, "context": n,
                             "gib": am.kv_cache_bytes(v, n, bytes_per_value) / 2**30,
                             "label": am.human_bytes(am.kv_cache_bytes(v, n, bytes_per_value))})
    df = pd.DataFrame(rows)
    names = [m.name for m in models]
    color = alt.Color("model:N", title=None, scale=alt.Scale(domain=names, range=MODEL_COLORS[:len(names)]),
                      legend=alt.Legend(columns=2 if scale > 1 else 3))
    lines = alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=40 * scale), strokeWidth=2.5 * scale).encode(
        x=alt.X("context:Q", title="Context length (tokens, log scale)",
                scale=alt.Scale(type="log", base=2),
                axis=alt.Axis(values=sorted(set(CONTEXTS) | {m.context for m in models}), labelExpr="datum.value >= 1024 ? datum.value / 1024 + 'K' : datum.value")),
        y=alt.Y("gib:Q", title="KV cache for one sequence, GiB (log scale)", scale=alt.Scale(type="log"),
                axis=alt.Axis(values=[10.0 ** e for e in range(-6, 5)], format=",~g")),
        color=color, detail="line:N",
        strokeDash=alt.StrokeDash("dashed:N", legend=None, scale=alt.Scale(domain=[False, True], range=[[1, 0], [6, 4]])),
        tooltip=[alt.Tooltip("line:N", title="Model"), alt.Tooltip("context:Q", title="Context", format=","),
                 alt.Tooltip("label:N", title="KV cache")])
    rule = alt.Chart(pd.DataFrame({"context": [context]})).mark_rule(color="#F1F5F9", strokeDash=[3, 3], opacity=0.6) \
        .encode(x="context:Q")
    return (lines + rule).properties(height=int(320 * scale))


def flops_chart(models: list[Arch], context: int, scale: float) -> alt.Chart:
    rows = []
    for m in models:
        f = am.flops_per_token(m, usable_context(m, context))
        rows.append({"model": m.name, "part": "Weights (2 x active matmul parameters)", "flops": f["weights"],
                     "label": am.human(f["weights"], "FLOP")})
        rows.append({"model": m.name, "part": "Attention over the context", "flops": f["attention"],
                     "label": am.human(f["attention"], "FLOP")})
    df = pd.DataFrame(rows)
    log = _log_if_wide([am.flops_per_token(m, usable_context(m, context))["total"] for m in models])
    if log:  # stacked bars cannot share a log axis: show the totals
        totals = {m.name: am.flops_per_token(m, usable_context(m, context))["total"] for m in models}
        df = pd.DataFrame([{"model": name, "part": "Total", "flops": t, "label": am.human(t, "FLOP")}
                           for name, t in totals.items()])
        df["base"] = _log_base(df["flops"])
    chart = alt.Chart(df).mark_bar(cornerRadiusEnd=2)
    x = alt.X("flops:Q", title="FLOPs per generated token" + (" (log scale)" if log else ""), stack=None if log else True,
              scale=_bar_scale(df["flops"], log), axis=_bar_axis(df["flops"], log, labelExpr=COUNT_LABELS))
    if log:
        chart = chart.encode(x2="base:Q")
    return chart.encode(
        y=alt.Y("model:N", title=None, sort=[m.name for m in models], axis=alt.Axis(labelLimit=300)),
        x=x,
        color=alt.Color("part:N", title=None, scale=alt.Scale(
            domain=["Total"] if log else ["Weights (2 x active matmul parameters)", "Attention over the context"],
            range=["#60A5FA"] if log else ["#34D399", "#F472B6"]),
            legend=alt.Legend(columns=1)),  # the two long names one under the other: side by side 100 px past a phone's chart
        tooltip=[alt.Tooltip("model:N", title="Model"), alt.Tooltip("part:N", title="Part"),
                 alt.Tooltip("label:N", title="FLOPs")],
    ).properties(height=_bar_height(len(models), 45, scale))
