"""The Data and tokens page: the text, its vocabulary, text <-> ids, the split and one batch."""
from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from llmbreaker.charts.journey import bars
from llmbreaker.charts.samples import markdown_literal
from llmbreaker.charts.training import visible_char
from llmbreaker.lessons.token_data import cleaning, ids_from_text, one_batch, split, vocabulary
from llmbreaker.ui.shell import font_scale, page_header
from llmbreaker.ui.widgets.model_picker import chars_html, model_picker

PAGE = "tokens"
SHOWN_PAIRS = 16


@st.cache_data(show_spinner=False, max_entries=4)
def _measure(text: str, text_label: str, chars: tuple[str, ...], block: int):
    """The page's numbers for one text (a million characters take a moment: measured once)."""
    from llmbreaker.engine.corpus import CharTokenizer
    tokenizer = CharTokenizer("".join(chars))
    return cleaning(text, text_label), vocabulary(text, tokenizer), split(text, tokenizer), \
        one_batch(text, tokenizer, block)


def view() -> None:
    page_header("Data and tokens", "Before a model can learn, its text becomes numbers. Here is how, for the text "
                "your model learned from.", page=PAGE)
    source, model, tokenizer = model_picker(PAGE)
    text = source.text
    s = font_scale()
    block = model.config.block_size
    with st.spinner("Counting characters…"):
        notes, rows, sp, (x, y) = _measure(text, source.text_label, tuple(tokenizer.chars), block)

    st.markdown(f"#### 1 · The text: {markdown_literal(source.text_label)}")
    for line in notes:
        st.markdown(f"- {line}")
    with st.expander("Read the start of the text", icon=":material/menu_book:"):
        st.html('<div style="font-family:ui-monospace,monospace;white-space:pre-wrap;color:#CBD5E1">'
                + html.escape(text[:600]) + "…</div>")

    st.markdown(f"#### 2 · The vocabulary: {tokenizer.vocab_size} tokens",
                help="Every different character of the text gets a number, in sorted order: that number is its token id.")
    left, right = st.columns([1, 1.7], gap="large")
    with left:
        frame = pd.DataFrame([{"id": r["id"], "character": visible_char(r["char"]), "count": r["count"],
                               "share": r["share"]} for r in rows])
        st.dataframe(frame, hide_index=True, height=int(360 * s), width="stretch",
                     column_config={"share": st.column_config.NumberColumn(format="percent"),
                                    "count": st.column_config.NumberColumn(format="localized")})
    with right:
        top = sorted(rows, key=lambda r: -r["count"])[:30]
        st.vega_lite_chart(bars([visible_char(r["char"]) for r in top], [r["share"] for r in top],
                                title=f"The {len(top)} most frequent characters (all of them in the table)",
                                height=int(320 * s),
                                font_scale=s, fmt=".2%", y_title="share of the text", x_title="character"),
                           width="stretch", key=f"{PAGE}_freq")
        st.caption("␣ is a space and ↵ a new line: they are characters like any other, and among the most frequent.")

    st.markdown("#### 3 · Text → ids → text", help="This is exactly what the model reads: the ids, never the letters.")
    a, b = st.columns(2, gap="large")
    with a:
        typed = st.text_input("Type something", value="To be, or not to be", max_chars=80, key=f"{PAGE}_typed",
                              help="Each character becomes its id. Characters not in the vocabulary have no id.")
        known = tokenizer.filter(typed)
        missing = sorted(set(typed) - set(known))
        st.html(chars_html(list(known), ids=tokenizer.encode(known)))
        if missing:
            st.caption("No token for: " + " ".join(markdown_literal(visible_char(c)) for c in missing)
                       + " (the model never saw these characters).")
        st.code(", ".join(str(i) for i in tokenizer.encode(known)) or "(nothing)", language=None)
    with b:
        example = ", ".join(str(i) for i in tokenizer.encode(tokenizer.filter("hello"))) or "0, 1, 2"
        raw = st.text_input("Ids back to text", value=example,
                            key=f"{PAGE}_ids", help=f"Numbers from 0 to {tokenizer.vocab_size - 1}, separated by "
                                                    "commas or spaces.")
        ids, bad = ids_from_text(raw, tokenizer.vocab_size)
        if bad:
            st.warning("Not ids of this vocabulary: " + ", ".join(markdown_literal(p[:12]) for p in bad[:6]),
                       icon=":material/info:")
        decoded = tokenizer.decode(ids)
        st.html(chars_html(list(decoded), ids=ids))
        st.code(decoded or "(nothing)", language=None)

    st.markdown("#### 4 · Train and validation", help="The last 10 % is held out: the model never trains on it, so "
                                                      "its loss there shows whether it learned or only memorised.")
    total = sp.train_chars + sp.val_chars
    st.vega_lite_chart(bars(["training", "validation"], [sp.train_chars, sp.val_chars],
                            horizontal=True, height=int(110 * s), font_scale=s, fmt=",d", y_title="characters",
                            colors=["#3B82F6", "#EC4899"]), width="stretch", key=f"{PAGE}_split")
    st.caption(f"{sp.train_chars:,} characters to train on, {sp.val_chars:,} ({sp.val_chars / max(1, total):.0%}) held "
               "out. The validation part starts: " + markdown_literal(repr(sp.val_start[:50])))

    st.markdown("#### 5 · One training batch: predict the next character",
                help="The trainer draws random windows of the training part; the target is the same window "
                     "shifted by one character.")
    st.caption(f"A batch of {len(x)} windows of {block} characters, drawn as the trainer draws them (the real "
               f"batches hold 32). Each window gives {block} examples: after each prefix, the next character.")
    for n, (xi, yi) in enumerate(zip(x, y)):
        st.html(_pairs_html(n, [tokenizer.chars[i] for i in xi], [tokenizer.chars[i] for i in yi]))


def _pairs_html(n: int, inputs: list[str], targets: list[str]) -> str:
    """One window: the input row, the target row under it (shifted by one), the first pairs spelled out."""
    cells = "".join(f'<td>{html.escape(visible_char(a))}</td>' for a in inputs[:SHOWN_PAIRS])
    tcells = "".join(f'<td class="t">{html.escape(visible_char(b))}</td>' for b in targets[:SHOWN_PAIRS])
    k = 5
    context = html.escape("".join(inputs[:k + 1]).replace("\n", "↵"))
    return ('<style>.lbj-b{border-collapse:collapse;font-family:ui-monospace,monospace;margin:0.2rem 0}'
            '.lbj-b td{border:1px solid #334155;padding:2px 7px;text-align:center;color:#E2E8F0}'
            '.lbj-b td.t{color:#F9A8D4}.lbj-b th{color:#94A3B8;font-weight:500;padding-right:8px;text-align:right;'
            'font-family:system-ui}'
            # On a phone the 16 pairs fit the screen with narrower cells (they stuck out by 4 px);
            # the box scrolls sideways rather than cut a cell if a screen is narrower still.
            '@media (max-width:480px){.lbj-b td{padding:2px 3px}.lbj-b th{padding-right:4px}}'
            '.lbj-bw{overflow-x:auto}</style>'
            f'<div style="color:#94A3B8;font-size:0.85rem;margin-top:0.4rem">Window {n + 1} (first {SHOWN_PAIRS} of '
            f'{len(inputs)} positions) · e.g. after <b style="color:#E2E8F0">{context}</b> comes '
            f'<b style="color:#F9A8D4">{html.escape(visible_char(targets[k]))}</b></div>'
            f'<div class="lbj-bw"><table class="lbj-b"><tr><th>input</th>{cells}</tr><tr><th>target</th>{tcells}</tr>'
            '</table></div>')
