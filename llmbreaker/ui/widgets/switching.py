"""Choosing a new text while a run is going asks first (docs/design.md §Datasets: "Stop current training?")."""
from __future__ import annotations

import streamlit as st

from llmbreaker.engine.session import TrainingSession


def confirm_dataset_switch(session: TrainingSession, chosen, page: str) -> bool:
    """True while the person has picked another text during a run and has not yet decided.
    "Keep training" puts the selector back; "Stop and switch" ends the run."""
    running = session.request.label if (session.active and session.request) else None
    if running is None or chosen is None or chosen.label == running:
        st.session_state[f"{page}_running_dataset"] = st.session_state.get(f"{page}_dataset")
        return False
    previous = st.session_state.get(f"{page}_running_dataset")

    def keep():
        if previous is not None:
            st.session_state[f"{page}_dataset"] = previous

    with st.container(border=True):
        st.warning(f"Stop current training? A run on **{running}** is still going. "
                   f"Switching to **{chosen.label}** stops it.", icon=":material/help:")
        c1, c2 = st.columns(2)
        c1.button("Stop and switch", key=f"{page}_switch_yes", on_click=session.stop, type="primary",
                  width="stretch", help="End the current run; then press Play to train on the new text.")
        c2.button("Keep training", key=f"{page}_switch_no", on_click=keep, width="stretch",
                  help="Go back to the text that is training and let the run go on.")
    return True
