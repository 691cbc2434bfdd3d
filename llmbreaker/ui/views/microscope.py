"""The Component microscope page: one layer and head of the real model, step by step."""
from __future__ import annotations

import textwrap

import numpy as np
import streamlit as st

from llmbreaker.charts.journey import bars, heatmap, position_labels
from llmbreaker.charts.samples import markdown_literal
from llmbreaker.charts.training import visible_char
from llmbreaker.lessons.microscope import STEPS, model_logits, shape_with_numbers, trace
from llmbreaker.ui.shell import font_scale, page_header
from llmbreaker.ui.widgets.model_picker import chars_html, prompt_box, quiz, standard_model_picker

PAGE = "microscope"
MAX_PROMPT = 32  # rows stay readable on a projector


def _step(n: int, key: str, cfg, T: int, charts: list[dict], widths=None, note: str = "") -> None:
    title, equation, _, sentence = STEPS[key]
    with st.container(border=True, key=f"mic-step-{key}-{n}"):
        left, right = st.columns([1, 2.4], gap="medium")
        with left:
            st.markdown(f"##### {n}. {title}")
            st.latex(equation)
            st.markdown(f"`{shape_with_numbers(key, cfg, T)}`")
            st.caption(sentence + (f" {note}" if note else ""))
        with right:
            cols = st.columns(widths or [1] * len(charts), gap="small")
            for col, spec in zip(cols, charts):
                if len(charts) >= 3 and isinstance(spec.get("title"), str):
                    # A third of the column: Vega cut "= output of layer 1" to "= output of l…" in workshop mode.
                    spec["title"] = textwrap.wrap(spec["title"], int(18 / font_scale() ** 0.75)) or spec["title"]
                with col:
                    st.vega_lite_chart(spec, width="stretch")


def view() -> None:
    page_header("Component microscope", "Type a few characters and open one layer of the model: every step of "
                "attention and the feed-forward layer, with the real numbers.", page=PAGE)
    picked = standard_model_picker(PAGE)
    if picked is None:
        return
    source, model, tokenizer = picked
    cfg = model.config
    c1, c2, c3 = st.columns([2.2, 1, 1], gap="medium")
    with c1:
        ids = prompt_box(PAGE, source, tokenizer, cfg.block_size, limit=MAX_PROMPT)
    with c2:
        layer = st.selectbox("Layer", range(cfg.n_layer), format_func=lambda i: f"Layer {i + 1}", key=f"{PAGE}_layer",
                             help="Which block of the model to open. Each block has its own attention and feed-forward.")
    with c3:
        head = st.selectbox("Head", range(cfg.n_head), format_func=lambda i: f"Head {i + 1}", key=f"{PAGE}_head",
                            help="Which attention head of that layer to show in steps 3–6. Each head has its own Q, K, V.")
    chars = [tokenizer.chars[i] for i in ids]
    T = len(ids)
    labels = position_labels(chars)
    query = st.select_slider("Query character (its row is highlighted everywhere)", options=list(range(T)), value=T - 1,
                             format_func=lambda i: labels[i], key=f"{PAGE}_query_{source.key}_{T}",
                             help="Pick one character of the prompt: its row stays bright in every step, the other rows fade.")
    st.html(chars_html(chars, highlight=query, ids=ids))

    t = trace(model, ids)
    diff = float(np.abs(t.logits - model_logits(model, ids)).max())
    st.caption(f"Check: recomputed step by step from the model's own weights, the final scores differ from the "
               f"model's own forward pass by at most **{diff:.1e}** (rounding). Every number below is the model's.")

    L = t.layers[layer]
    s = font_scale()
    h = int(max(180, 17 * T + 50) * s)
    hs = cfg.n_embd // cfg.n_head
    d_cols = [str(j) for j in range(hs)]
    c_cols = [str(j) for j in range(cfg.n_embd)]
    hm = lambda m, title, kind="signed", cols=None, xt="": heatmap(  # noqa: E731
        m, labels, cols, title=title, query=query, kind=kind, height=h, font_scale=s, x_title=xt)

    st.markdown(f"#### Layer {layer + 1}, head {head + 1}, following **{markdown_literal(visible_char(chars[query]))}** (position {query})")
    n = 1
    if layer == 0:
        _step(n, "embed", cfg, T, [hm(t.tok, "token rows"), hm(t.pos, "position rows"), hm(t.x0, "sum = x₀")])
    else:
        _step(n, "embed", cfg, T, [hm(t.x0, "x₀ (embedding)"), hm(L.x_in, f"input of layer {layer + 1}")],
              note=f"Layer {layer + 1} starts from what the layers before it made of x₀.")
    n += 1
    _step(n, "ln1", cfg, T, [hm(L.x_in, "x"), hm(L.ln1, "LN₁(x)")]); n += 1
    _step(n, "qkv", cfg, T, [hm(L.q[head], f"Q · head {head + 1}", cols=d_cols), hm(L.k[head], "K", cols=d_cols),
                             hm(L.v[head], "V", cols=d_cols)]); n += 1
    _step(n, "scores", cfg, T, [hm(L.scores[head], "Q·Kᵀ/√d", cols=labels, xt="key")]); n += 1
    _step(n, "mask", cfg, T, [hm(L.masked[head], "masked scores", cols=labels, xt="key")]); n += 1
    top = int(np.argmax(L.weights[head][query]))
    _step(n, "softmax", cfg, T, [hm(L.weights[head], "attention weights", kind="prob", cols=labels, xt="key")],
          note=f"Row {query} ('{markdown_literal(visible_char(chars[query]))}') looks most at position {top} "
               f"('{markdown_literal(visible_char(chars[top]))}'): {L.weights[head][query][top]:.0%}."); n += 1
    _step(n, "weighted", cfg, T, [hm(L.v[head], "V", cols=d_cols), hm(L.heads[head], f"A·V · head {head + 1}", cols=d_cols)]); n += 1
    _step(n, "concat", cfg, T, [hm(L.concat, f"{cfg.n_head} heads side by side", cols=c_cols)],
          note=f"Columns {head * hs}–{head * hs + hs - 1} are head {head + 1}."); n += 1
    _step(n, "proj", cfg, T, [hm(L.attn_out, "attention output a")]); n += 1
    _step(n, "resid1", cfg, T, [hm(L.x_in, "x"), hm(L.attn_out, "+ a"), hm(L.x_mid, "= x′")]); n += 1
    _step(n, "ln2", cfg, T, [hm(L.ln2, "LN₂(x′)")]); n += 1
    four = [str(j) for j in range(4 * cfg.n_embd)]
    _step(n, "up", cfg, T, [hm(L.ffn_up, f"{4 * cfg.n_embd} numbers per character", cols=four)]); n += 1
    off = float((L.ffn_relu[query] == 0).mean())
    _step(n, "relu", cfg, T, [hm(L.ffn_relu, "after ReLU", cols=four)],
          note=f"For '{markdown_literal(visible_char(chars[query]))}', {off:.0%} of the {4 * cfg.n_embd} numbers are now 0."); n += 1
    _step(n, "down", cfg, T, [hm(L.ffn_out, "f")]); n += 1
    _step(n, "resid2", cfg, T, [hm(L.x_mid, "x′"), hm(L.ffn_out, "+ f"), hm(L.x_out, f"= output of layer {layer + 1}")]); n += 1
    if layer == cfg.n_layer - 1:
        _step(n, "ln_f", cfg, T, [hm(t.ln_f, "h = LN_f(x)")]); n += 1
        p = t.probs[query]
        order = np.argsort(-p)[:10]
        _step(n, "probs", cfg, T, [bars([visible_char(tokenizer.chars[i]) for i in order], p[order],
                                        title=f"after '{visible_char(chars[query])}', the next character is…",
                                        height=int(220 * s), font_scale=s, fmt=".1%", y_title="probability")],
              note="The logits z are the scores before softmax; the bars are the 10 most likely.")
    else:
        st.info(f"Layer {layer + 2} continues from this output. Pick the last layer to see the final LayerNorm "
                "and the next-character probabilities.", icon=":material/south:")
    st.divider()
    quiz(PAGE)
