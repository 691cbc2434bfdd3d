"""LLMBreaker: see a tiny language model learn, live. Entry point: `streamlit run streamlit_app.py`."""
import streamlit as st

from llmbreaker.ui.shell import PAGE_SECTIONS, PAGES, apply_style, sessions_indicator, workshop_toggle
from llmbreaker.ui.widgets.keys import presenter_keys

st.set_page_config(page_title="LLMBreaker", page_icon="🧠", layout="wide")
apply_style()

def _page(key: str) -> st.Page:
    title, path, icon, url = PAGES[key]
    return st.Page(path, title=title, icon=icon, url_path=url, default=key == "landing")


pages = {heading: [_page(key) for key in keys] for heading, keys in PAGE_SECTIONS.items()}
page = st.navigation(pages, expanded=True)  # every page in view: a teacher points at them
with st.sidebar:
    workshop_toggle()
    presenter_keys()  # Space / Right, said once; their focus kept on the control bar
    runs_in_sidebar = st.container()  # filled after the page: see below
try:
    page.run()
finally:
    # The sidebar's runs are drawn after the page, from what the page has just read of them (its
    # Play, Pause or Step, and its run's newest step): drawn before the page, they could say a step
    # less than the page after Step (docs/design.md §Consistency).
    with runs_in_sidebar:
        sessions_indicator()
