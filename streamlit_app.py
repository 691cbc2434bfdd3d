"""LLMBreaker: see a tiny language model learn, live. Entry point: `streamlit run streamlit_app.py`."""
import streamlit as st

from llmbreaker.ui.common import apply_style

st.set_page_config(page_title="LLMBreaker", page_icon="🧠", layout="wide")
apply_style()

pages = [
    st.Page("app_pages/watch.py", title="Watch It Learn to Spell", icon=":material/spellcheck:", url_path="watch", default=True),
    st.Page("app_pages/cinema.py", title="Attention Evolution Cinema", icon=":material/grid_on:", url_path="cinema"),
    st.Page("app_pages/style.py", title="Style Transfer Speed Run", icon=":material/edit_note:", url_path="style"),
    st.Page("app_pages/inside.py", title="Inside the model", icon=":material/memory:", url_path="inside"),
]
st.navigation(pages).run()
