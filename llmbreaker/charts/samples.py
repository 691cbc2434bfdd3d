"""Generated samples as safe HTML: real words of the corpus set apart from the rest.

Everything the model wrote, and everything a person typed, is escaped here before it reaches the
page, so a sample containing "<script>" shows those characters and nothing runs.
"""
from __future__ import annotations

import html
import re

from llmbreaker.engine.words import mark_words, real_word_share


def sample_html(text: str, words: frozenset[str]) -> str:
    out = []
    for piece, is_word in mark_words(text, words):
        escaped = html.escape(piece).replace("\n", '<span class="nl">↵</span>\n')
        out.append(f'<span class="{"w" if is_word else "g"}">{escaped}</span>')
    return "".join(out)


PROGRESSION_CSS = """
<style>
.lb-prog { font-family: 'JetBrains Mono', 'Fira Code', ui-monospace, monospace; font-size: 0.95rem; }
.lb-row { display: grid; grid-template-columns: 7.5rem 1fr; gap: 0.75rem; padding: 0.45rem 0.6rem;
          border-radius: 8px; border-left: 3px solid transparent; }
.lb-row + .lb-row { margin-top: 0.2rem; }
.lb-row .meta { color: #94A3B8; font-size: 0.8rem; line-height: 1.35; }
.lb-row .meta b { color: #E2E8F0; font-size: 0.9rem; }
.lb-row .txt { white-space: pre-wrap; word-break: break-word; line-height: 1.45; }
.lb-row .g { color: #64748B; }
.lb-row .w { color: #60A5FA; }
.lb-row .nl { color: #475569; }
.lb-row.sel { background: rgba(59,130,246,0.16); border-left-color: #3B82F6; }
.lb-row.new { animation: lbfade 0.9s ease-out; }
@keyframes lbfade { from { opacity: 0; transform: translateY(-4px); } to { opacity: 1; transform: none; } }
@media (prefers-reduced-motion: reduce) { .lb-row.new { animation: none; } }
.lb-cur { display: grid; gap: 0.2rem; padding: 0.45rem 0.6rem; border-radius: 8px; background: #111C30; }
.lb-cur .meta { color: #94A3B8; font-size: 0.8rem; }
.lb-cur .meta br, .lb-cur .meta b { display: none; }
.lb-cur .txt { white-space: pre-wrap; word-break: break-word; line-height: 1.45; }
.lb-cur .g { color: #64748B; } .lb-cur .w { color: #60A5FA; } .lb-cur .nl { color: #475569; }
.lb-cur.new { animation: lbfade 0.9s ease-out; }
@media (prefers-reduced-motion: reduce) { .lb-cur.new { animation: none; } }
.lb-legend { color: #94A3B8; font-size: 0.8rem; margin-bottom: 0.4rem; }
.lb-legend .w { color: #60A5FA; } .lb-legend .g { color: #64748B; }
</style>
"""


def progression_html(rows: list[dict], words: frozenset[str], selected_step: int | None,
                     animate: bool = True, legend: bool = True, compact: bool = False) -> str:
    """rows: [{"step", "val_loss", "sample"}], newest first. The newest fades in; the selected
    checkpoint is highlighted. `compact`: the loss and the share of words above the text, not beside
    it (for a narrow column; the step is in the heading above)."""
    parts = [PROGRESSION_CSS, '<div class="lb-prog">']
    if legend:
        parts.append('<div class="lb-legend"><span class="w">blue</span> = real words of the text · '
                     '<span class="g">grey</span> = not (yet) a word · ↵ = new line</div>')
    for i, r in enumerate(rows):
        classes = ["lb-cur" if compact else "lb-row"]  # the list's rows are .lb-row; the sample beside the curve is not one
        if i == 0 and animate:
            classes.append("new")
        if r["step"] == selected_step:
            classes.append("sel")
        share = real_word_share(r["sample"], words)
        parts.append(
            f'<div class="{" ".join(classes)}" data-step="{int(r["step"])}">'
            f'<div class="meta"><b>Step {int(r["step"]):,}</b><br>loss {r["val_loss"]:.2f}<br>'
            f'{" · " if compact else ""}{share:.0%} words</div>'
            f'<div class="txt">{sample_html(r["sample"], words)}</div></div>'
        )
    parts.append("</div>")
    return "".join(parts)


# Every ASCII punctuation character may be backslash-escaped in CommonMark, and an escaped one is
# always literal: no link, image, emphasis, code, heading, list, table or HTML. `$` (Streamlit's
# LaTeX), `:` (its :material/...: icons, :red[...] colours and "http:" autolinks) and `~` are
# among them. New lines become spaces: a caption is one line, and a blank line would end it.
_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")


def markdown_literal(text: str) -> str:
    """Text that a person or a model wrote, made safe to put inside Markdown (st.caption,
    st.markdown, labels): it shows exactly as written and renders nothing."""
    return _MD_SPECIAL.sub(r"\\\1", text.replace("\r", " ").replace("\n", " "))
