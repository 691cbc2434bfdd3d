"""Style Transfer Speed Run: paste your writing, train, read new text in your style (spec 6.4, 8.3)."""
import streamlit as st

from llmbreaker.session import TrainingRequest
from llmbreaker.ui.common import page_header, page_session
from llmbreaker.ui.controls import training_controls
from llmbreaker.ui.inputs import link_notes
from llmbreaker.ui.style_view import (STYLE_MODEL, STYLE_TRAIN, confirm_new_text, live_view, model_loader, results,
                                      text_input)

PAGE = "style"

page_header("Style Transfer Speed Run", "Paste a few hundred words of your own writing. A tiny model learns it "
            "from scratch in about 20 seconds, then writes something new in your style.", page=PAGE)
session = page_session(PAGE)
link_notes(PAGE, ("speed",))  # before the speed control is made: a bad ?style_speed= gets a note

left, right = st.columns([1.3, 1], gap="large")
with left:
    check = text_input(PAGE)
with right:
    asking = confirm_new_text(session, check, PAGE)
    make_request = None
    if check is not None and not asking:
        def make_request(text=check.text):
            return TrainingRequest(text, STYLE_MODEL, STYLE_TRAIN, label="your text")
    training_controls(session, make_request, PAGE, default_speed="2x")  # the spec's default here (8.3)
    live_view(session, PAGE)
    model_loader(PAGE)

results(PAGE, session, session.request.text if session.request else (check.text if check else ""))
