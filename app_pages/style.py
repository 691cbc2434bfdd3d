"""Style Transfer Speed Run: paste your writing, train, read new text in your style (docs/design.md §Style)."""
import streamlit as st

from llmbreaker.ui.common import page_header, page_session
from llmbreaker.ui.controls import training_controls
from llmbreaker.ui.inputs import link_notes, setup_fold
from llmbreaker.ui.run_address import shown_session
from llmbreaker.ui.style_start import (compare_button, explain_finetuning, privacy_choice, private_chosen,
                                       start_choice,
                                       style_request, unseen_note)
from llmbreaker.ui.style_view import confirm_new_text, live_view, model_loader, results, text_input

PAGE = "style"

page_header("Style Transfer Speed Run", "Paste a few hundred words of your own writing. A model that already "
            "reads English learns your style in about 20 seconds, then writes something new in it.", page=PAGE)
session = page_session(PAGE)
scratch = page_session(f"{PAGE}_scratch")  # the "from scratch" half of a side-by-side comparison: never kept
link_notes(PAGE, ("speed",))  # before the speed control is made: a bad ?style_speed= gets a note
shown = shown_session(PAGE, session)  # this tab's run, or the run the address names (?run=), read-only

if shown is not None and shown.read_only:
    live_view(shown, PAGE)
    results(PAGE, shown, shown.current.text)
elif shown is not None:
    session = shown
    # The controls in one row, the text and the settings under them; a run folds those away (Play does;
    # the "Settings" switch of the row shows them again), so that during a run the person's text and
    # what the model writes now stand side by side under the controls (a projector's first screen).
    bar = st.container()
    with setup_fold(PAGE, session):
        left, right = st.columns([1.3, 1], gap="large")
        with left:
            check = text_input(PAGE)
        with right:
            start = start_choice(PAGE)
            unseen_note(check.text if check else "", start)
            asking = confirm_new_text(session, check, PAGE)
            privacy_choice(PAGE, session)
            explain_finetuning()
            model_loader(PAGE)

    def make_request(text=check.text if check else ""):
        session.private = private_chosen(PAGE)  # read when Play is pressed: before anything is kept
        return style_request(text, start)

    with bar:
        training_controls(session, None if check is None or asking else make_request, PAGE,
                          default_speed="2x", fold=f"{PAGE}_setup_open")  # 2x: the spec's default here (8.3)
        compare_button(session, scratch, check.text if check is not None and not asking else None, PAGE)
    live_view(session, PAGE, scratch)

    results(PAGE, session, session.request.text if session.request else (check.text if check else ""), scratch)
