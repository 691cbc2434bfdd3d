"""RoPE page: rotary position embedding, pair by pair (docs/design.md §RoPE). The maths is in
`llmbreaker.engine.rope`; this module only draws it."""
from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from llmbreaker.engine import rope
from llmbreaker.ui.shell import font_scale, page_header
from llmbreaker.ui.views.compare import style_chart

PAGE = "rope"
MAX_PANELS = 16
ANIMATION_TICK = 0.6  # seconds per position while walking through them
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


def distance_demo(head_size: int, positions: int, base: float, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    q, k = rng.normal(size=head_size), rng.normal(size=head_size)
    rows = []
    for dist in (0, 1, 3, 8):
        for m in (dist, dist + 7, dist + 30, positions - 1):
            if m < positions and m - dist >= 0:
                rows.append({"query at m": m, "key at n": m - dist, "distance m - n": dist,
                             "q·k after rotation": rope.rotated_dot(q, k, m, m - dist, base)})
    df = pd.DataFrame(rows).drop_duplicates(subset=["query at m", "key at n"])
    return df, rope.score_matrix(q, k, min(positions, 64), base)


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


def _clamp(key: str, top: int, default: int) -> None:
    """A slider whose range can shrink (fewer positions, a smaller head): its value lives in the
    session state, starts at `default` and is kept inside 0 .. top."""
    st.session_state[key] = min(st.session_state.get(key, default), top)


def view() -> None:
    page_header("Rotary positions (RoPE)", "How LLaMA, Mistral, Qwen and DeepSeek know where a word is: by turning "
                "pairs of numbers, each at its own speed.", page=PAGE)
    scale = font_scale()
    c1, c2, c3 = st.columns(3)
    head_size = c1.select_slider("Head size", [4, 8, 16, 32, 64, 128], value=32, key="rope_head",
                                 help="How many numbers each attention head's query and key have. RoPE turns them "
                                      "in pairs, so there are head size / 2 pairs.")
    positions = c2.slider("Positions", 8, 128, 64, step=8, key="rope_positions",
                          help="How many token positions to show (up to 128).")
    base = c3.select_slider("Base", [100.0, 1000.0, 10000.0, 500000.0], value=10000.0, key="rope_base",
                            format_func=lambda b: f"{b:,.0f}",
                            help="RoPE's base: 10,000 in the original paper and LLaMA-2; LLaMA-3 uses 500,000 so its "
                                 "slowest pairs turn even more slowly (for longer contexts).")
    _clamp("rope_pos", positions - 1, default=5)
    pos = st.slider("Position of the token", 0, positions - 1, key="rope_pos",
                    help="Move it and watch every pair turn: by position x its own speed θᵢ.")

    st.markdown("#### Every pair of dimensions is a clock hand")
    shown = shown_pairs(head_size)

    def clocks(p: int) -> None:
        st.html(clocks_html(head_size, p, base, scale))
        st.caption(f"Each circle is one pair of the {head_size} numbers ({head_size // 2} pairs"
                   + (f"; {len(shown)} of them shown, evenly spread" if len(shown) < head_size // 2 else "")
                   + f"). The amber hand is the pair's direction at position **{p}**; the blue dots where it pointed "
                   "at earlier positions. Pair 0 races round; the last pairs barely move.")

    if st.toggle("Walk through the positions", key="rope_animate",
                 help="Moves the token one position further about twice a second, so the hands turn by themselves. "
                      "Turn it off to use the position slider again."):
        @st.fragment(run_every=ANIMATION_TICK)
        def walk() -> None:
            p = (st.session_state.get("rope_walk", pos) + 1) % positions
            st.session_state["rope_walk"] = p
            clocks(p)
        walk()
    else:
        st.session_state["rope_walk"] = pos
        clocks(pos)
    st.latex(r"\theta_i = \text{base}^{-2i/d}, \qquad "
             r"\begin{pmatrix} x'_{2i} \\ x'_{2i+1} \end{pmatrix} = "
             r"\begin{pmatrix} \cos p\theta_i & -\sin p\theta_i \\ \sin p\theta_i & \cos p\theta_i \end{pmatrix}"
             r"\begin{pmatrix} x_{2i} \\ x_{2i+1} \end{pmatrix}")
    theta = rope.rope_frequencies(head_size, base)
    st.code("\n".join(f"pair {i:>2}: θ = {base:,.0f}^(-2·{i}/{head_size}) = {theta[i]:.4g} rad;  "
                      f"angle at position {pos} = {pos} x {theta[i]:.4g} = {pos * theta[i]:.3f} rad "
                      f"({math.degrees(pos * theta[i]) % 360:.0f}°)" for i in shown[:4] + shown[-2:]), language="text")

    st.markdown("#### How fast each pair turns")
    freq, wave = frequency_chart(head_size, base, positions, scale)
    left, right = st.columns(2)
    left.altair_chart(style_chart(freq, scale), width="stretch")
    right.altair_chart(style_chart(wave, scale), width="stretch")
    st.caption("Left: θᵢ falls geometrically from 1 radian per position. Right: the positions a pair needs for one "
               "full turn, from 2π ≈ 6 up to 2π·base. Fast pairs tell neighbours apart; slow pairs tell near from far.")
    st.altair_chart(style_chart(barcode_chart(head_size, positions, base, scale), scale), width="stretch")
    st.caption("The same angles as a picture: every column is one position, every row one pair, coloured by cos(angle). "
               "No two positions get the same column, which is how the model can tell them apart.")

    st.markdown("#### Only the distance counts")
    if st.button("New random query and key", key="rope_reseed", icon=":material/casino:",
                 help="Draw another pair of random vectors: the diagonals stay constant for any q and k."):
        st.session_state["rope_seed"] = st.session_state.get("rope_seed", 0) + 1
    seed = st.session_state.get("rope_seed", 0)
    table, scores = distance_demo(head_size, positions, base, seed)
    left, right = st.columns([1, 1])
    with left:
        st.dataframe(table.style.format({"q·k after rotation": "{:.6f}"}), hide_index=True, width="stretch")
        st.caption("The same query vector q and key vector k put at different positions. Rows with the same distance "
                   "m - n give the same score, wherever they sit in the text.")
    with right:
        st.altair_chart(style_chart(score_heatmap(scores, scale), scale), width="stretch")
        st.caption("q·k for every query position m and key position n: each diagonal (same m - n) is one colour.")
    st.latex(r"\langle R_m q,\; R_n k \rangle = \sum_i \big[(q_{2i}k_{2i} + q_{2i+1}k_{2i+1}) \cos((m-n)\theta_i)"
             r" + (q_{2i}k_{2i+1} - q_{2i+1}k_{2i}) \sin((m-n)\theta_i)\big]")

    st.markdown("#### Beyond the trained context")
    c1, c2, c3 = st.columns(3)
    trained = c1.select_slider("Trained context", [16, 32, 64, 128], value=min(64, positions), key="rope_trained",
                               help="The longest text the model saw in training.")
    factor = c2.select_slider("Stretch to", [2, 4, 8], value=4, key="rope_factor", format_func=lambda f: f"{f}x",
                              help="How many times longer the texts are that we now want to read.")
    _clamp("rope_pair", head_size // 2 - 1, default=(head_size // 2) * 2 // 3)
    pair = c3.slider("Pair to follow", 0, head_size // 2 - 1, key="rope_pair",
                     help="Slow pairs (high numbers) show the problem most clearly. For the very last pair, "
                          "interpolation and NTK scaling give the same angle.")
    angle_chart, ratio_chart = extension_charts(head_size, trained, factor, pair, base, scale)
    left, right = st.columns(2)
    with left:
        st.altair_chart(style_chart(angle_chart, scale), width="stretch")
    with right:
        st.altair_chart(style_chart(ratio_chart, scale), width="stretch")
    seen = rope.max_trained_angle(head_size, trained, base)[pair]
    st.markdown(
        f"With **plain RoPE** the slow pairs reach angles the model never saw in training (above {seen:.2f} rad for "
        f"pair {pair}), so attention past {trained} tokens gets unreliable. **Position interpolation** divides every "
        f"position by {factor}: all angles stay in the trained range, but neighbouring tokens are now only "
        f"1/{factor} of a step apart, which blurs the fast pairs. **NTK-aware scaling** raises the base instead "
        f"(base x {factor}^(d/(d-2))): the fast pairs keep their speed, the slowest one is slowed by exactly {factor}x, "
        "and the pairs in between a bit of both. Long-context models use such rescalings (and a short fine-tune) "
        "to read beyond what they were trained on.")
    st.latex(r"\text{PI: } \theta'_i = \theta_i / s \qquad \text{NTK: } \theta'_i = "
             r"\big(\text{base} \cdot s^{d/(d-2)}\big)^{-2i/d}")
