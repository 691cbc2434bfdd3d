"""The Sampling lab page: the model's next-character distribution, reshaped by temperature, top-k
and top-p, and texts generated with those settings side by side."""
from __future__ import annotations

import numpy as np
import streamlit as st

from llmbreaker.charts.journey import sampling_bars
from llmbreaker.charts.training import visible_char
from llmbreaker.lessons.sampling import entropy_bits, generate, next_logits, reshape, with_temperature
from llmbreaker.ui.shell import font_scale, page_header
from llmbreaker.ui.widgets.model_picker import model_picker, prompt_box, text_html

PAGE = "sampling"
N_TEXTS = 3
N_CHARS = 200


def view() -> None:
    page_header("Sampling lab", "The model gives every character a chance to come next. Turn the dials and see which "
                "ones can still be picked, then let it write.", page=PAGE)
    source, model, tokenizer = model_picker(PAGE)
    V = model.config.vocab_size
    left, right = st.columns([1.1, 1], gap="large")
    with left:
        ids = prompt_box(PAGE, source, tokenizer, model.config.block_size, limit=model.config.block_size,
                         label="Start the text with")
    with right:
        temperature = st.slider("Temperature", 0.1, 2.0, 1.0, 0.05, key=f"{PAGE}_temperature",
                                help="1 = the model's own probabilities. Lower: the favourite gets even likelier "
                                     "(safe, repetitive). Higher: the chances even out (bold, wild).")
        top_k = st.slider("Top-k (0 = off)", 0, V, 0, 1, key=f"{PAGE}_top_k",
                          help="Keep only the k most likely characters; the others cannot be picked. 0 keeps all.")
        top_p = st.slider("Top-p", 0.05, 1.0, 1.0, 0.05, key=f"{PAGE}_top_p",
                          help="Keep the most likely characters until their chances add up to p (the 'nucleus'). "
                               "1 keeps all.")
    logits = next_logits(model, ids)
    own = with_temperature(logits, 1.0)
    shaped = with_temperature(logits, temperature)
    final, kept = reshape(logits, temperature, top_k, top_p)
    s = font_scale()
    st.markdown("##### What could come next", help="Bars: probability after the temperature. Grey bars are cut off by "
                "top-k or top-p. White ticks: the model's own probability (temperature 1).")
    st.vega_lite_chart(sampling_bars(tokenizer.chars, own, shaped, kept, final, height=int(320 * s), font_scale=s),
                       width="stretch", key=f"{PAGE}_bars")
    m1, m2, m3 = st.columns(3)
    m1.metric("Characters that can be picked", f"{int(kept.sum())} of {V}",
              help="After top-k and top-p. The others have probability 0.")
    m2.metric("Most likely next", visible_char(tokenizer.chars[int(np.argmax(final))]),
              help="The tallest bar, with the probability it is drawn with on the right.")
    m3.metric("Uncertainty", f"{entropy_bits(final):.2f} bits",
              help="0 bits: it is sure of one character. Each extra bit is like doubling the number of equally "
                   "likely choices.")
    st.caption("The labels on the bars are the chances each character is really drawn with: after the temperature, "
               "with what top-k and top-p cut off shared out among the rest.")

    settings = (source.key, tuple(ids), temperature, top_k, top_p)
    if st.button(f"Generate {N_CHARS} characters ({N_TEXTS} times)", key=f"{PAGE}_generate", type="primary",
                 icon=":material/auto_awesome:",
                 help="Writes three texts with these settings, each drawn with its own random numbers."):
        run = st.session_state.get(f"{PAGE}_runs", 0) + 1
        st.session_state[f"{PAGE}_runs"] = run
        with st.spinner("Writing…"):
            texts = [tokenizer.decode(generate(model, ids, N_CHARS, temperature, top_k, top_p, seed=run * 100 + i))
                     for i in range(N_TEXTS)]
        st.session_state[f"{PAGE}_texts"] = (settings, texts)
    shown = st.session_state.get(f"{PAGE}_texts")
    if shown and shown[0][0] == source.key:
        (_, _, t, k, p), texts = shown
        if shown[0] != settings:
            st.caption("Written with the earlier settings below; press Generate again for the new ones.")
        st.caption(f"temperature {t:g} · top-k {k or 'off'} · top-p {p:g} · after the prompt "
                   f"(not repeated here)")
        for col, text in zip(st.columns(N_TEXTS, gap="small"), texts):
            with col:
                st.html(text_html(text))
