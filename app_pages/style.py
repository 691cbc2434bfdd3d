"""Style Transfer Speed Run: paste your writing, train, read new text in your style (spec 6.4, 8.3)."""
import streamlit as st

from llmbreaker.ui.common import page_header, page_session
from llmbreaker.ui.controls import training_controls
from llmbreaker.ui.inputs import link_notes
from llmbreaker.ui.style_start import (compare_button, explain_finetuning, start_choice, style_request,
                                       unseen_note)
from llmbreaker.ui.style_view import confirm_new_text, live_view, model_loader, results, text_input

PAGE = "style"

page_header("Style Transfer Speed Run", "Paste a few hundred words of your own writing. A model that already "
            "reads English learns your style in about 20 seconds, then writes something new in it.", page=PAGE)
session = page_session(PAGE)
scratch = page_session(f"{PAGE}_scratch")  # the "from scratch" half of a side-by-side comparison
link_notes(PAGE, ("speed",))  # before the speed control is made: a bad ?style_speed= gets a note

left, right = st.columns([1.3, 1], gap="large")
with left:
    check = text_input(PAGE)
with right:
    start = start_choice(PAGE)
    unseen_note(check.text if check else "", start)
    asking = confirm_new_text(session, check, PAGE)
    make_request = None if check is None or asking else (lambda text=check.text: style_request(text, start))
    training_controls(session, make_request, PAGE, default_speed="2x")  # the spec's default here (8.3)
    compare_button(session, scratch, check.text if check is not None and not asking else None, PAGE)
    live_view(session, PAGE, scratch)
    explain_finetuning()
    model_loader(PAGE)

results(PAGE, session, session.request.text if session.request else (check.text if check else ""), scratch)
