"""The RoPE page's pictures (docs/design.md §RoPE): the pairs as clocks, their frequencies, the barcode of
angles, the score by distance, and how each way of stretching to a longer context bends them."""
from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from llmbreaker.engine import rope

MAX_PANELS = 16
METHOD_LABELS = {"none": "Plain RoPE", "pi": "Position interpolation", "ntk": "NTK-aware scaling"}
METHOD_COLORS = ["#F472B6", "#60A5FA", "#34D399"]


def shown_pairs(head_size: int) -> list[int]:
    """Which dimension pairs get a clock: all of them up to 16, else 16 spread evenly (first and last included)."""
    n = head_size // 2
    if n <= MAX_PANELS:
        return list(range(n))
    return sorted({round(i * (n - 1) / (MAX_PANELS - 1)) for i in range(MAX_PANELS)})


def clocks_html(head_size: int, position: int, base: float, scale: float) -> str:
    """One small circle per pair: the pair's vector at `position` (a hand) and where it pointed at
    every earlier position (fading dots). Drawn as inline SVGs in a row that wraps, so the clocks
    fit any screen (a Vega facet has a fixed number of columns: its last one went off screen)."""
    theta = rope.rope_frequencies(head_size, base)
    size = int(118 * scale)
    r = 0.8 * size / 2  # the ring's radius: the axis of the old chart went to 1.25
    c = size / 2
    clocks = []
    for i in shown_pairs(head_size):
        dots = []
        for p in range(position + 1):
            ang = p * theta[i]
            age = position - p
            opacity = 0.9 - (0.9 - 0.08) * age / max(1, position)
            dots.append(f'<circle cx="{c + r * math.cos(ang):.1f}" cy="{c - r * math.sin(ang):.1f}" r="{2.4 * scale:.1f}" '
                        f'fill="#60A5FA" fill-opacity="{opacity:.2f}"><title>Position {p}</title></circle>')
        ang = position * theta[i]
        x2, y2 = c + r * math.cos(ang), c - r * math.sin(ang)
        tip = (f"Angle now {math.degrees(ang) % 360:.0f}° · full turns so far {ang / (2 * math.pi):.2f} · "
               f"radians per position {theta[i]:.4g}")
        clocks.append(
            f'<figure class="lb-clock" style="margin:0; width:{size}px; text-align:center">'
            f'<figcaption style="font-size:{11 * scale:.1f}px; color:#CBD5E1; white-space:nowrap">pair {i} · dims {2 * i},{2 * i + 1}</figcaption>'
            f'<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}" role="img" '
            f'aria-label="pair {i}: {math.degrees(ang) % 360:.0f} degrees">'
            f'<circle cx="{c}" cy="{c}" r="{r:.1f}" fill="none" stroke="#334155" stroke-width="{1.2 * scale:.1f}"/>'
            + "".join(dots) +
            f'<line x1="{c}" y1="{c}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#FBBF24" stroke-width="{3.5 * scale:.1f}" '
            f'stroke-linecap="round"><title>{tip}</title></line>'
            f'<circle cx="{x2:.1f}" cy="{y2:.1f}" r="{4 * scale:.1f}" fill="#FBBF24"><title>{tip}</title></circle>'
            f'<text x="{c}" y="{size - 2}" text-anchor="middle" font-size="{11 * scale:.1f}" fill="#E2E8F0">'
            f'{math.degrees(ang) % 360:.0f}°</text></svg></figure>')
    return f'<div class="lb-clocks" style="display:flex; flex-wrap:wrap; gap:6px 10px">{"".join(clocks)}</div>'


def frequency_chart(head_size: int, base: float, positions: int, scale: float) -> alt.Chart:
    theta = rope.rope_frequencies(head_size, base)
    df = pd.DataFrame({"pair": np.arange(len(theta)), "theta": theta, "wavelength": 2 * np.pi / theta})
    x = alt.X("pair:Q", title="Dimension pair i")
    decades = lambda lo, hi: [10.0 ** e for e in range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1)]
    freq = alt.Chart(df).mark_line(point=True, color="#60A5FA", strokeWidth=2 * scale).encode(
        x=x, y=alt.Y("theta:Q", title="θᵢ, radians per position (log)", scale=alt.Scale(type="log"),
                     axis=alt.Axis(values=decades(theta.min(), theta.max()), format="~g")),
        tooltip=[alt.Tooltip("pair:Q", title="Pair"), alt.Tooltip("theta:Q", title="θ", format=".4g"),
                 alt.Tooltip("wavelength:Q", title="Positions per full turn", format=",.1f")])
    wave = alt.Chart(df).mark_line(point=True, color="#F472B6", strokeWidth=2 * scale).encode(
        x=x, y=alt.Y("wavelength:Q", title="Positions per full turn (log)", scale=alt.Scale(type="log"),
                     axis=alt.Axis(values=decades(df["wavelength"].min(), df["wavelength"].max()), format=",~g")),
        tooltip=[alt.Tooltip("pair:Q", title="Pair"), alt.Tooltip("wavelength:Q", title="Positions per turn", format=",.1f")])
    ctx = alt.Chart(pd.DataFrame({"wavelength": [positions], "t": [f"{positions} positions shown"]}))
    rule = ctx.mark_rule(color="#FBBF24", strokeDash=[4, 4]).encode(y="wavelength:Q")
    text = ctx.mark_text(color="#FBBF24", align="left", dx=4, dy=-7, fontSize=11 * scale).encode(
        y="wavelength:Q", x=alt.value(4), text="t:N")
    h = int(230 * scale)
    return freq.properties(height=h), (wave + rule + text).properties(height=h)


def barcode_chart(head_size: int, positions: int, base: float, scale: float) -> alt.Chart:
    ang = rope.rope_angles(np.arange(positions), head_size, base)
    pos, pair = np.meshgrid(np.arange(positions), np.arange(head_size // 2), indexing="ij")
    df = pd.DataFrame({"position": pos.ravel(), "pair": pair.ravel(), "cos": np.cos(ang).ravel().round(3)})
    return alt.Chart(df).mark_rect().encode(
        x=alt.X("position:O", title="Position", axis=alt.Axis(values=list(range(0, positions, max(1, positions // 16))))),
        y=alt.Y("pair:O", title="Pair", axis=alt.Axis(values=list(range(0, head_size // 2, max(1, head_size // 32))))),
        color=alt.Color("cos:Q", title="cos(angle)", scale=alt.Scale(scheme="redblue", domain=[-1, 1]),
                        legend=alt.Legend(orient="right", gradientLength=int(200 * scale))),
        tooltip=[alt.Tooltip("position:O", title="Position"), alt.Tooltip("pair:O", title="Pair"),
                 alt.Tooltip("cos:Q", title="cos(position x θ)")],
    ).properties(height=int(min(420, 60 + 14 * head_size // 2) * scale))


def score_heatmap(scores: np.ndarray, scale: float) -> alt.Chart:
    T = scores.shape[0]
    m, n = np.meshgrid(np.arange(T), np.arange(T), indexing="ij")
    df = pd.DataFrame({"m": m.ravel(), "n": n.ravel(), "score": scores.ravel().round(3)})
    lim = float(np.abs(scores).max()) or 1.0
    return alt.Chart(df).mark_rect().encode(
        x=alt.X("n:O", title="Key position n", axis=alt.Axis(values=list(range(0, T, max(1, T // 8))))),
        y=alt.Y("m:O", title="Query position m", axis=alt.Axis(values=list(range(0, T, max(1, T // 8))))),
        color=alt.Color("score:Q", title="q·k", scale=alt.Scale(scheme="redblue", domain=[-lim, lim], reverse=True)),
        tooltip=[alt.Tooltip("m:O", title="Query at"), alt.Tooltip("n:O", title="Key at"),
                 alt.Tooltip("score:Q", title="q·k", format=".3f")],
    ).properties(height=int(300 * scale))  # as wide as its column: 300 px * the workshop scale was 480 in a 402 px one


def extension_charts(head_size: int, trained: int, factor: int, pair: int, base: float, scale: float):
    """Angle of one pair over positions 0 .. factor x trained for the three methods, and each pair's
    frequency multiplier under interpolation and NTK scaling."""
    positions = np.arange(0, trained * factor + 1, max(1, trained * factor // 256))
    rows = []
    for method in rope.METHODS:
        ang = rope.rope_angles(positions, head_size, base, scale=factor, method=method)[:, pair]
        rows += [{"position": int(p), "angle": float(a), "method": METHOD_LABELS[method]} for p, a in zip(positions, ang)]
    df = pd.DataFrame(rows)
    seen = float(rope.max_trained_angle(head_size, trained, base)[pair])
    band = alt.Chart(pd.DataFrame({"lo": [0.0], "hi": [seen], "t": ["angles seen in training"]})).mark_rect(
        color="#FBBF24", opacity=0.12).encode(y="lo:Q", y2="hi:Q")
    band_text = alt.Chart(pd.DataFrame({"hi": [seen], "t": ["angles seen in training"]})).mark_text(
        color="#FBBF24", align="left", dy=-7, fontSize=11 * scale).encode(y="hi:Q", x=alt.value(6), text="t:N")
    trained_rule = alt.Chart(pd.DataFrame({"position": [trained], "t": [f"trained context ({trained})"]}))
    rule = trained_rule.mark_rule(color="#E2E8F0", strokeDash=[4, 4], opacity=0.7).encode(x="position:Q")
    rule_text = trained_rule.mark_text(color="#E2E8F0", align="left", dx=4, fontSize=11 * scale, y=10).encode(
        x="position:Q", text="t:N")
    # The three names in one row do not fit half a screen: two columns, one in workshop mode.
    color = alt.Color("method:N", title=None, scale=alt.Scale(domain=list(METHOD_LABELS.values()), range=METHOD_COLORS),
                      legend=alt.Legend(columns=1 if scale > 1 else 2))
    lines = alt.Chart(df).mark_line(strokeWidth=2.5 * scale).encode(
        x=alt.X("position:Q", title="Position"), y=alt.Y("angle:Q", title=f"Angle of pair {pair} (radians)"),
        color=color, tooltip=[alt.Tooltip("method:N", title=""), alt.Tooltip("position:Q", title="Position"),
                              alt.Tooltip("angle:Q", title="Angle", format=".3f")])
    angle_chart = alt.layer(band, band_text, lines, rule, rule_text).properties(height=int(300 * scale))

    ratio_rows = []
    plain = rope.rope_frequencies(head_size, base)
    for method in rope.METHODS:
        r = rope.rope_frequencies(head_size, base, scale=factor, method=method) / plain
        ratio_rows += [{"pair": i, "ratio": float(v), "method": METHOD_LABELS[method]} for i, v in enumerate(r)]
    ratio_chart = alt.Chart(pd.DataFrame(ratio_rows)).mark_line(point=True, strokeWidth=2 * scale).encode(
        x=alt.X("pair:Q", title="Dimension pair i (fast → slow)"),
        y=alt.Y("ratio:Q", title="New speed / trained speed", scale=alt.Scale(domain=[0, 1.05])),
        color=color, tooltip=[alt.Tooltip("method:N", title=""), alt.Tooltip("pair:Q", title="Pair"),
                              alt.Tooltip("ratio:Q", title="Speed multiplier", format=".3f")],
    ).properties(height=int(300 * scale))
    return angle_chart, ratio_chart
