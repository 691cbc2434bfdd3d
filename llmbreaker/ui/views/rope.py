"""RoPE page: rotary position embedding, pair by pair (docs/design.md §RoPE). The maths is in
`llmbreaker.engine.rope`; this module only draws it."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from llmbreaker.charts.compare import style_chart
from llmbreaker.charts.rope import (barcode_chart, clocks_html, extension_charts, frequency_chart, score_heatmap,
                                    shown_pairs)
from llmbreaker.engine import rope
from llmbreaker.ui.shell import font_scale, page_header

PAGE = "rope"
ANIMATION_TICK = 0.6  # seconds per position while walking through them


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
