"""The landing page (docs/design.md §Landing, §Look): the name, the tagline, Launch, a live neural-network
background, and a strip that shows what each page does.

The background is drawn by the browser on a <canvas> (JavaScript in `st.html`), so it costs the
server nothing: no reruns, no fragment, no data sent while it moves. Everything passed to `st.html`
here is a constant of this module; no user input ever reaches it, because with
`unsafe_allow_javascript=True` it runs as code in the person's page.
"""
from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import quote

import streamlit as st

from llmbreaker.ui.shell import PAGE_SECTIONS, PAGES, workshop_on

PAGE = "landing"
STATIC = Path(__file__).resolve().parent.parent / "static"
TAGLINE = "See intelligence emerge in real-time"
# Launch opens the page where Play is one click away; the journey map (every page in order, from a
# text to the next character) is the hero's second link.
LAUNCH_PAGE = "watch"
JOURNEY_PAGE = "journey"

# One line per page for the "what you will see" strip, in navigation order.
TOUR = {
    "watch": ("Loss and samples",
              "Press Play: gibberish like <code>oWwtYZHh</code> turns into Shakespeare's words while the "
              "loss falls."),
    "cinema": ("Attention heads",
               "Which earlier letters each head looks at, as noise turns into patterns."),
    "style": ("Your own writing",
              "Paste your own writing; in about 20 seconds a model writes new text in your style."),
    "inside": ("Every weight",
               "Where the numbers live: each part of the tiny GPT, counted."),
}

# The stylesheet lives inside the landing page's own element, not in the shared style: Streamlit
# removes the element when the person moves to another page, and with it these rules, so every
# other page keeps its header and sidebar as before. It and the script are files beside the UI
# (llmbreaker/ui/static/), read once at import.

CSS = f"<style>\n{(STATIC / 'landing.css').read_text(encoding='utf-8')}</style>"

# The background: nodes drift, nearby nodes are joined by lines that fade with distance and pulse
# gently, and now and then a spark runs along a line and hops on to a neighbour, like a signal
# through a network. Time-based, so it moves at the same speed at 30 or 144 frames per second.
# It stops by itself once Streamlit removes the canvas (another page), and honours
# prefers-reduced-motion by drawing one still frame, also when that setting changes while open.
SCRIPT = f"<script>\n{(STATIC / 'landing.js').read_text(encoding='utf-8')}</script>"

HERO = f"""
{CSS}
<canvas class="lb-neural" aria-hidden="true"></canvas>
<div class="lb-hero">
  <div class="lb-eyebrow"><span class="lb-live"></span>A tiny GPT, trained live in front of you</div>
  <h1 class="lb-name">LLMBreaker</h1>
  <p class="lb-tagline">{TAGLINE}</p>
</div>
{SCRIPT}
"""


def _svg(body: str) -> str:
    """A small picture as a CSS data URI: st.html keeps HTML only (no <svg>), but a stylesheet may
    use SVG backgrounds."""
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 90">'
           '<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="0">'
           '<stop offset="0" stop-color="#3B82F6"/><stop offset="1" stop-color="#06B6D4"/>'
           f'</linearGradient></defs>{body}</svg>')
    # Single quotes inside, so the CSS url("...") around it holds; only what a URL cannot carry
    # (<, >, #, %) is escaped, which makes the stylesheet a third smaller than escaping everything.
    svg = svg.replace('"', "'")
    return 'url("data:image/svg+xml,' + quote(svg, safe=" '=/:;,.()-") + '")'


def _art_watch() -> str:
    # A falling, noisy loss curve with checkpoint dots: the Watch page's main chart in small.
    pts = [(x, 80 - 64 * math.exp(-x / 55) + 5 * math.exp(-x / 90) * math.sin(x * 0.9)) for x in range(6, 236, 4)]
    line = " ".join(f"{x},{y:.1f}" for x, y in pts)
    dots = "".join(f'<circle cx="{x}" cy="{y:.1f}" r="3" fill="#06B6D4"/>' for x, y in pts[::10])
    return _svg(f'<polyline points="6,88 {line} 234,88" fill="url(#g)" fill-opacity="0.12" stroke="none"/>'
                f'<polyline points="{line}" fill="none" stroke="url(#g)" stroke-width="2.5"/>{dots}')


def _art_cinema() -> str:
    # Three causal attention heads (each row looks only at earlier characters), three patterns the
    # Cinema names: the character just before, the first one, the character itself.
    n, size, cells = 8, 9.5, []
    patterns = [lambda r, c: c == r - 1 or r == c == 0, lambda r, c: c == 0, lambda r, c: c == r]
    for head, strong in enumerate(patterns):
        x0 = 11 + head * 78
        for r in range(n):
            for c in range(r + 1):
                w = 0.95 if strong(r, c) else 0.1 + 0.07 * ((r * 3 + c * 5 + head) % 4)
                cells.append(f'<rect x="{x0 + c * size:.1f}" y="{7 + r * size:.1f}" width="{size - 1.6:.1f}" '
                             f'height="{size - 1.6:.1f}" rx="1.5" fill="{"#06B6D4" if head == 1 else "#3B82F6"}" '
                             f'fill-opacity="{w:.2f}"/>')
    return _svg("".join(cells))


def _art_style() -> str:
    # Two texts side by side, the phrases they share lit up in cyan.
    rows = []
    for col, x0 in enumerate((14, 128)):
        for i, (a, b, c) in enumerate([(30, 40, 22), (46, 20, 26), (18, 36, 40), (40, 30, 14), (24, 44, 0)]):
            y, x = 12 + i * 14, x0
            for k, wdt in enumerate((a, b, c)):
                if wdt:
                    lit = (i + k + col) % 4 == 1
                    rows.append(f'<rect x="{x}" y="{y}" width="{wdt}" height="7" rx="3.5" '
                                f'fill="{"#06B6D4" if lit else "#475569"}"/>')
                    x += wdt + 4
    return _svg("".join(rows))


def _art_inside() -> str:
    # The parameter budget as bars: embeddings, attention, feed-forward, norms.
    bars = [(0.42, "Embeddings"), (0.55, "Attention"), (1.0, "Feed-forward"), (0.08, "Norms")]
    return _svg("".join(f'<rect x="14" y="{10 + i * 19}" width="{212 * f:.0f}" height="11" rx="5.5" fill="url(#g)" '
                        f'fill-opacity="{0.55 + 0.45 * f:.2f}"/>' for i, (f, _) in enumerate(bars)))


ART_CSS = ("<style>" + "".join(f".lb-art-{key} {{ background-image: {art()}; }}"
                               for key, art in [("watch", _art_watch), ("cinema", _art_cinema),
                                                ("style", _art_style), ("inside", _art_inside)]) + "</style>")


def shown_page_count() -> int:
    """The pages the sidebar lists, the landing itself not counted (its group has no heading)."""
    return sum(len(keys) for heading, keys in PAGE_SECTIONS.items() if heading)


def _address() -> dict[str, str] | None:
    """What a link from the landing carries: workshop mode, when it is on (ui/common.py keeps it in
    every page's address as ?workshop=1), so that the page it opens, even in a new tab, is large."""
    return {"workshop": "1"} if workshop_on() else None


def _set_workshop() -> None:
    # The sidebar's switch (key "workshop", hidden on the landing) is the mode: this one sets it.
    # In a callback, before the sidebar's switch is drawn, so that the whole page follows at once.
    st.session_state["workshop"] = st.session_state["lb-workshop-toggle"]


def view() -> None:
    hero()
    tour()


def hero() -> None:
    """The first screen: background, name, tagline, Launch (Watch, where Play is one click away)
    beside the journey, and workshop mode."""
    with st.container(key="lb-hero"):
        st.html(HERO, unsafe_allow_javascript=True)
        title, path, _, _ = PAGES[LAUNCH_PAGE]
        journey_title, journey_path, journey_icon, _ = PAGES[JOURNEY_PAGE]
        with st.container(key="lb-launch", horizontal=True, gap="medium"):
            with st.container(key="lb-go", width="content"):
                st.page_link(path, label="Launch", icon=":material/arrow_forward:", icon_position="right",
                             query_params=_address(),
                             help=f"Open {title}: press Play there and watch a tiny GPT learn to spell")
            with st.container(key="lb-journey", width="content"):
                st.page_link(journey_path, label="See the whole journey", icon=journey_icon, query_params=_address(),
                             help=f"Open {journey_title}: every step from a text to the next character, in order")
        with st.container(key="lb-workshop", horizontal=True):
            st.toggle("Workshop mode: large text for a projector", key="lb-workshop-toggle", value=workshop_on(),
                      on_change=_set_workshop,
                      help="Large text, charts and lines, readable from the back of a room. It stays on for "
                           "every page (the address says ?workshop=1), so share that link with the class.")
        st.html('<div class="lb-hint">No sign-up, nothing to install. Launch, press Play, and in about 25 '
                'seconds the model goes from noise to words.</div>')
        st.html('<div class="lb-scroll">What you will see<span>&#8964;</span></div>')


def tour() -> None:
    """Below the fold: one card per page, each one line and a link to it."""
    st.html(ART_CSS + '<div class="lb-section"><h2>What you will see</h2>'
            f'<p>{shown_page_count()} pages, one tiny model, nothing hidden. Four of them to start with:</p></div>')
    for column, (key, (kicker, line)) in zip(st.columns(len(TOUR), gap="medium"), TOUR.items()):
        title, path, icon, _ = PAGES[key]
        with column, st.container(key=f"lb-card-{key}"):
            st.html(f'<div class="lb-art lb-art-{key}"></div><div class="lb-kicker">{kicker}</div>')
            st.page_link(path, label=title, icon=icon, help=f"Open {title}", query_params=_address())
            st.html(f'<div class="lb-line">{line}</div>')
            st.html('<div class="lb-open">Open &rarr;</div>')
    st.html('<div class="lb-foot">Built with Streamlit and PyTorch for students, curious people and '
            'teachers with a projector.</div>')
