"""Attention Evolution Cinema: watch attention heads turn from noise into structure (spec 6.3, 8.2)."""
from dataclasses import replace

import streamlit as st

from llmbreaker.errors import UserInputError
from llmbreaker.presets import next_token_prompt
from llmbreaker.session import TrainingRequest
from llmbreaker.ui.cinema import film_controls, live_view, probe_picker
from llmbreaker.ui.common import page_header, page_session
from llmbreaker.ui.controls import training_controls
from llmbreaker.ui.inputs import dataset_picker, training_settings
from llmbreaker.ui.switching import confirm_dataset_switch

PAGE = "cinema"

page_header("Attention Evolution Cinema", "Each head of the model decides which earlier characters to look at. "
            "Press Play and watch those choices turn from noise into patterns.")
session = page_session(PAGE)

left, right = st.columns([1, 1.35], gap="large")
with left:
    chosen = dataset_picker(PAGE)
with right:
    try:
        model_cfg, train_cfg = training_settings(PAGE)
    except UserInputError as e:
        st.error(e.message, icon=":material/warning:")
        model_cfg = train_cfg = None
    probe = probe_picker(PAGE, model_cfg.block_size if model_cfg else 64, disabled=session.active)
    switching = confirm_dataset_switch(session, chosen, PAGE)
    make_request = None
    if chosen is not None and train_cfg is not None and not switching:
        def make_request(chosen=chosen, model_cfg=model_cfg, train_cfg=train_cfg, probe=probe):
            return TrainingRequest(chosen.text, model_cfg, replace(
                train_cfg, probe_text=probe, next_prompt=next_token_prompt(chosen.key, chosen.text)), label=chosen.label)
    training_controls(session, make_request, PAGE)
    film_controls(PAGE, session)

live_view(session, PAGE, idle_shape=(model_cfg.n_layer, model_cfg.n_head) if model_cfg else (2, 2))
