"""The Follow one character page: chapters from the character's id to the next character's
probability, stepped through or auto-played, ending in branching continuations."""
from __future__ import annotations

import html
import time

import numpy as np
import streamlit as st

from llmbreaker.charts.journey import bars, heatmap, vector_bars
from llmbreaker.charts.samples import markdown_literal
from llmbreaker.charts.training import visible_char
from llmbreaker.lessons.microscope import trace
from llmbreaker.lessons.sampling import generate
from llmbreaker.ui.shell import font_scale, page_header
from llmbreaker.ui.widgets.model_picker import chars_html, prompt_box, quiz, standard_model_picker, text_html

PAGE = "follow"
CHAPTER = f"{PAGE}_chapter"
PLAYING = f"{PAGE}_playing"
PACES = {"slow": 8.0, "normal": 5.0, "fast": 2.5}
BRANCH_CHARS = 80


def chapter_names(n_layer: int) -> list[str]:
    return ["Tokenise", "Embed", *[f"Layer {i + 1}" for i in range(n_layer)], "Final LayerNorm", "Logits",
            "Softmax", "Sample and branch"]


def _q(c: str) -> str:
    """A character of the person's text, quoted for Markdown (a '*' or '$' shows as itself)."""
    return f"'{markdown_literal(visible_char(c))}'"


def _timeline(names: list[str], current: int) -> str:
    cells = []
    for i, name in enumerate(names):
        style = ("background:#2563EB;color:#F8FAFC;border-color:#60A5FA" if i == current else
                 "background:#1E293B;color:#94A3B8;border-color:#334155" if i > current else
                 "background:#172554;color:#BFDBFE;border-color:#1E40AF")
        cells.append(f'<div style="{style};border:1px solid;border-radius:999px;padding:2px 10px;font-size:0.85rem;'
                     f'white-space:nowrap">{i + 1}. {html.escape(name)}</div>')
    return f'<div style="display:flex;flex-wrap:wrap;gap:6px;margin:0.2rem 0 0.6rem">{"".join(cells)}</div>'


def _go(delta: int, last: int) -> None:
    st.session_state[CHAPTER] = min(last, max(0, st.session_state.get(CHAPTER, 0) + delta))


def view() -> None:
    page_header("Follow one character", "One character's trip through the model, chapter by chapter: from its id "
                "to the probability of the next character.", page=PAGE)
    picked = standard_model_picker(PAGE)
    if picked is None:
        return
    source, model, tokenizer = picked
    cfg = model.config
    left, right = st.columns([2, 1], gap="large")
    with left:
        ids = prompt_box(PAGE, source, tokenizer, cfg.block_size, limit=32)
    chars = [tokenizer.chars[i] for i in ids]
    with right:
        pos = st.selectbox("Character to follow", range(len(ids)), index=len(ids) - 1, key=f"{PAGE}_pos_{source.key}_{len(ids)}",
                           format_func=lambda i: f"{i}: {visible_char(chars[i])}" + (" (the last one)" if i == len(ids) - 1 else ""),
                           help="Which character's trip to follow. The last one's prediction is the text's next character.")
    names = chapter_names(cfg.n_layer)
    last = len(names) - 1
    st.session_state.setdefault(CHAPTER, 0)
    st.session_state[CHAPTER] = min(st.session_state[CHAPTER], last)

    c1, c2, c3, c4 = st.columns([1, 1, 1.2, 1.4], vertical_alignment="bottom")
    c1.button("Previous", icon=":material/arrow_back:", key=f"{PAGE}_prev", on_click=_go, args=(-1, last),
              width="stretch", help="The chapter before.")
    c2.button("Next", icon=":material/arrow_forward:", key=f"{PAGE}_next", on_click=_go, args=(1, last),
              width="stretch", type="primary", help="The next chapter.")
    playing = c3.toggle("Auto-play", key=PLAYING, help="Turn the chapters by themselves at the chosen pace.")
    pace = c4.segmented_control("Pace", list(PACES), default="normal", key=f"{PAGE}_pace",
                                help="Seconds per chapter: slow 8, normal 5, fast 2.5.") or "normal"

    t = trace(model, ids)

    @st.fragment(run_every=PACES[pace] if playing else None)
    def chapters() -> None:
        now = time.monotonic()
        if st.session_state.get(PLAYING):
            due = st.session_state.get(f"{PAGE}_tick", 0.0) + PACES[pace] * 0.9
            if now >= due:
                if st.session_state.get(f"{PAGE}_tick") is not None and st.session_state[CHAPTER] < last:
                    st.session_state[CHAPTER] += 1
                st.session_state[f"{PAGE}_tick"] = now
            if st.session_state[CHAPTER] >= last:
                st.session_state[PLAYING] = False
                st.session_state.pop(f"{PAGE}_tick", None)
                st.rerun()  # stop ticking
        else:
            st.session_state.pop(f"{PAGE}_tick", None)
        n = st.session_state[CHAPTER]
        st.html(_timeline(names, n))
        with st.container(border=True, key=f"{PAGE}-chapter"):
            st.markdown(f"#### Chapter {n + 1} of {len(names)} · {names[n]}")
            _chapter(n, names, t, tokenizer, model, ids, chars, pos, source)

    chapters()
    st.divider()
    quiz(PAGE)


def _chapter(n: int, names: list[str], t, tokenizer, model, ids, chars, pos, source) -> None:
    s = font_scale()
    cfg = model.config
    c = chars[pos]
    name = names[n]
    if name == "Tokenise":
        st.markdown(f"The text is cut into **{len(ids)} characters**, and each becomes its number in the vocabulary "
                    f"of {cfg.vocab_size}. We follow {_q(c)} at position {pos}: to the model it is just **{ids[pos]}**.")
        st.html(chars_html(chars, highlight=pos, ids=ids))
    elif name == "Embed":
        st.markdown(f"Id {ids[pos]} picks row {ids[pos]} of the token table, and position {pos} picks row {pos} of the "
                    f"position table: {cfg.n_embd} numbers each. Their sum, **x₀**, is {_q(c)}-at-place-{pos} as the "
                    "model sees it. Orange numbers are positive, blue negative.")
        st.vega_lite_chart(vector_bars({f"token row {ids[pos]}": t.tok[pos], f"position row {pos}": t.pos[pos],
                                        "sum x₀": t.x0[pos]}, height=int(330 * s), font_scale=s, width=int(820 / s ** 0.5)),
                           width="content", key=f"{PAGE}_embed")
    elif name.startswith("Layer "):
        i = int(name.split()[1]) - 1
        L = t.layers[i]
        weights = L.weights[:, pos, : pos + 1]  # (H, pos + 1): where each head of this character looks
        looks = []
        for h in range(cfg.n_head):
            j = int(np.argmax(weights[h]))
            back = pos - j
            where = "itself" if back == 0 else f"{_q(chars[j])} ({back} back)"
            looks.append(f"head {h + 1} looks most at {where}, {weights[h][j]:.0%}")
        change_a = float(np.linalg.norm(L.attn_out[pos]))
        change_f = float(np.linalg.norm(L.ffn_out[pos]))
        st.markdown(f"In layer {i + 1}, {_q(c)} first looks back at the characters up to itself: "
                    + "; ".join(looks) + f". What it gathers is added to its vector (a change of size {change_a:.2f}); "
                    f"then the feed-forward layer adds its own (size {change_f:.2f}). Length of the vector: "
                    f"{np.linalg.norm(L.x_in[pos]):.2f} → {np.linalg.norm(L.x_out[pos]):.2f}.")
        labels = [f"{j} {visible_char(chars[j])}" for j in range(pos + 1)]
        st.vega_lite_chart(heatmap(weights, [f"head {h + 1}" for h in range(cfg.n_head)], labels, kind="prob",
                                   title=f"where {_q(c)} looks (each row adds up to 1)",
                                   height=int((70 + 40 * cfg.n_head) * s), font_scale=s),
                           width="stretch", key=f"{PAGE}_att_{i}")
        st.vega_lite_chart(vector_bars({"before the layer": L.x_in[pos], "+ attention": L.attn_out[pos],
                                        "+ feed-forward": L.ffn_out[pos], "after the layer": L.x_out[pos]},
                                       height=int(360 * s), font_scale=s, width=int(820 / s ** 0.5)),
                           width="content", key=f"{PAGE}_vec_{i}")
    elif name == "Final LayerNorm":
        st.markdown(f"After the last layer, the vector of {_q(c)} is normalised one more time (mean 0, spread 1, then "
                    "the learned scale and shift). These are the numbers the prediction is made from.")
        st.vega_lite_chart(vector_bars({"after the last layer": t.layers[-1].x_out[pos], "final LayerNorm": t.ln_f[pos]},
                                       height=int(240 * s), font_scale=s, width=int(820 / s ** 0.5)), width="content", key=f"{PAGE}_lnf")
    elif name == "Logits":
        z = t.logits[pos]
        order = np.argsort(-z)[:15]
        st.markdown(f"The final vector is compared with each of the {cfg.vocab_size} rows of the token table (the "
                    "same table as in chapter 2): one **score** per possible next character. The highest is "
                    f"{_q(tokenizer.chars[order[0]])} with {z[order[0]]:.2f}; the lowest is "
                    f"{_q(tokenizer.chars[int(np.argmin(z))])} with {z.min():.2f}.")
        st.vega_lite_chart(bars([visible_char(tokenizer.chars[k]) for k in order], z[order],
                                title="the 15 highest scores (logits)", height=int(260 * s), font_scale=s,
                                y_title="score", fmt=".2f"), width="stretch", key=f"{PAGE}_logits")
    elif name == "Softmax":
        p = t.probs[pos]
        order = np.argsort(-p)[:10]
        st.markdown(f"Softmax turns the scores into probabilities that add up to 1: e to the power of each score, "
                    f"divided by their sum. The model gives {_q(tokenizer.chars[order[0]])} **{p[order[0]]:.0%}**; "
                    f"its top 10 together hold {p[order].sum():.0%}.")
        st.vega_lite_chart(bars([visible_char(tokenizer.chars[k]) for k in order], p[order], fmt=".1%",
                                title="the 10 most likely next characters", height=int(260 * s), font_scale=s,
                                y_title="probability"), width="stretch", key=f"{PAGE}_probs")
    else:
        _branching(t, tokenizer, model, ids, chars, pos, source)


@st.cache_data(show_spinner="Writing on…", max_entries=64)
def _continuation(_model, model_key: str, ids: tuple[int, ...]) -> list[int]:
    """BRANCH_CHARS characters after `ids` (seeded: the same branch always reads the same)."""
    return generate(_model, list(ids), BRANCH_CHARS, temperature=0.8, seed=7)


def _branching(t, tokenizer, model, ids, chars, pos, source) -> None:
    s = font_scale()
    p = t.probs[pos]
    order = [int(k) for k in np.argsort(-p)[:10]]
    truth = f" In your text, {_q(chars[pos + 1])} comes next." if pos + 1 < len(chars) else ""
    st.markdown(f"One character is drawn with these probabilities, added to the text, and the whole trip starts again "
                f"for the next one.{truth} Pick another of the top 10 and see how the text goes on from there.")
    left, right = st.columns([1, 1.4], gap="large")
    with left:
        st.vega_lite_chart(bars([visible_char(tokenizer.chars[k]) for k in order], [p[k] for k in order], fmt=".1%",
                                horizontal=True, highlight=0, height=int(300 * s), font_scale=s,
                                y_title="probability"), width="stretch", key=f"{PAGE}_top10")
    with right:
        pick = st.radio("Continue with", order[1:], index=0, horizontal=True, key=f"{PAGE}_branch_{source.key}",
                        format_func=lambda k: f"{visible_char(tokenizer.chars[k])} · {p[k]:.0%}",
                        help="Any of the other top-10 characters: the model then writes on from that choice.")
        prefix = ids[: pos + 1]
        for label, k in ((f"its favourite, {_q(tokenizer.chars[order[0]])}", order[0]),
                         (f"your pick, {_q(tokenizer.chars[pick])}", pick)):
            rest = _continuation(model, source.key, tuple(prefix + [k]))
            st.caption(f"With {label} (probability {p[k]:.0%}), then {BRANCH_CHARS} characters at temperature 0.8:")
            st.html(text_html(tokenizer.decode(prefix[-20:]) + "⟨" + tokenizer.chars[k] + "⟩" + tokenizer.decode(rest)))
        st.caption("⟨ ⟩ marks the chosen character; before it, the end of your prompt. Both continuations use the "
                   "same random numbers: only the choice differs.")
