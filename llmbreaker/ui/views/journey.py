"""The journey map page: the pipeline as a metro line, its stations linked to our pages, and the
three learning paths."""
from __future__ import annotations

import streamlit as st

from llmbreaker.charts.journey import metro_chart, metro_chart_narrow
from llmbreaker.charts.samples import markdown_literal
from llmbreaker.lessons.journey import FIRST_STATION, PATHS, STATIONS, model_sources
from llmbreaker.ui.shell import PAGES, browser_session_id, font_scale, get_manager, page_header

PAGE = "journey"
PAGE_TITLES = {key: title for key, (title, *_rest) in PAGES.items()}  # for the map's hover

CSS = """
<style>
.st-key-journey-start { background: linear-gradient(135deg, rgba(16,185,129,0.16), rgba(59,130,246,0.14));
  border: 1px solid rgba(16,185,129,0.55); border-radius: 14px; padding: 1rem 1.3rem 1.1rem; }
.st-key-journey-start-link a { background: linear-gradient(135deg, #10B981, #059669); border-radius: 10px;
  padding: 0.55rem 1.1rem; justify-content: center; }
.st-key-journey-start-link a p, .st-key-journey-start-link a span { color: #F8FAFC !important; font-weight: 700;
  font-size: 1.1rem; }
.lbj-start-kicker { color: #34D399; font-weight: 700; letter-spacing: 0.12em; font-size: 0.8rem; text-transform: uppercase; }
.lbj-start-text { color: #E2E8F0; font-size: 1.15rem; margin-top: 0.2rem; }
.lbj-station { color: #94A3B8; font-size: 0.9rem; margin: -0.3rem 0 0.2rem; }
.lbj-step { color: #64748B; font-weight: 700; margin-right: 0.3rem; }
/* The metro line runs left to right where six stations and their summaries fit side by side, and top
   to bottom in a narrower column (a phone: the names and summaries ran into each other). */
.st-key-journey-map { container-type: inline-size; }
@container (max-width: 720px) { .st-key-journey-map-wide { display: none !important; } }
@container (min-width: 721px) { .st-key-journey-map-narrow { display: none !important; } }
</style>
"""


def start_here() -> None:
    title, path, icon, _ = PAGES["watch"]
    with st.container(key="journey-start"):
        left, right = st.columns([3, 1.1], vertical_alignment="center")
        with left:
            st.html('<div class="lbj-start-kicker">New here? Start at Training</div>'
                    '<div class="lbj-start-text">Press <b>Play</b> on Watch It Learn to Spell: in about 25 seconds a '
                    'tiny GPT goes from noise to words. Then come back: the other stations look inside '
                    '<b>the model you just trained</b>.</div>')
        with right, st.container(key="journey-start-link"):
            st.page_link(path, label="Watch it learn", icon=":material/play_arrow:",
                         help=f"Open {title} and press Play")


def stations() -> None:
    for row in (STATIONS[:2], STATIONS[2:4], STATIONS[4:]):
        for col, s in zip(st.columns(2, gap="medium"), row):
            links = [p for p in s.pages if p in PAGES]
            n = STATIONS.index(s) + 1
            with col, st.container(border=True, key=f"journey-station-{s.key}"):
                st.markdown(f"**{n} · {s.title}**" + ("  :green-badge[start here]" if s.key == FIRST_STATION else ""))
                st.caption(s.summary)
                for p in links:
                    title, path, icon, _ = PAGES[p]
                    st.page_link(path, label=title, icon=icon, help=f"Open {title}")


def paths() -> None:
    st.markdown("#### Learning paths", help="Three ways through the pages, from the levels design: pick one "
                                            "and follow it in order.")
    for name, steps in PATHS.items():
        with st.container(border=True, key=f"journey-path-{name.split()[0].lower()}"):
            st.markdown(f"**{name}**")
            for i, (page, why) in enumerate([step for step in steps if step[0] in PAGES], 1):
                title, path, icon, _ = PAGES[page]
                st.page_link(path, label=f"{i}. {title}", icon=icon, help=why)
                st.caption(why)


def view() -> None:
    page_header("The learning journey", "From a text to the next character: six stations, each one a page that shows "
                "it on a real model.", page=PAGE)
    st.html(CSS)
    start_here()
    source = model_sources(get_manager().sessions_of(browser_session_id()))[0]
    st.markdown("#### From a text to the next character",
                help="Hover a station for a preview. The cards below link to the pages that show each station.")
    with st.container(key="journey-map"):  # one of the two shows, by the column's width (CSS above)
        with st.container(key="journey-map-wide"):
            st.vega_lite_chart(metro_chart(PAGE_TITLES, font_scale()), width="stretch", key=f"{PAGE}_map")
        with st.container(key="journey-map-narrow"):
            st.vega_lite_chart(metro_chart_narrow(PAGE_TITLES, font_scale()), width="stretch", key=f"{PAGE}_map_narrow")
    st.caption(f"Every number on the stations' pages comes from a real model: now **{markdown_literal(source.label)}**"
               + (" (the default, until you train your own)." if source.is_default else ", the one you trained last."))
    main, side = st.columns([2.1, 1], gap="large")
    with main:
        stations()
    with side:
        paths()
