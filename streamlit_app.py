"""LLMBreaker: see a tiny language model learn, live. Entry point: `streamlit run streamlit_app.py`."""
import streamlit as st

from llmbreaker.ui.common import PAGES, apply_style, sessions_indicator

st.set_page_config(page_title="LLMBreaker", page_icon="🧠", layout="wide")
apply_style()

pages = [st.Page(path, title=title, icon=icon, url_path=url, default=key == "watch")
         for key, (title, path, icon, url) in PAGES.items()]
page = st.navigation(pages)
with st.sidebar:
    sessions_indicator()
page.run()
