"""Watch It Learn to Spell: pick a text, press Play, watch samples turn into words (spec 6.2, 8.1)."""
from dataclasses import replace

import streamlit as st

from llmbreaker.errors import UserInputError
from llmbreaker.presets import next_token_prompt
from llmbreaker.session import TrainingRequest
from llmbreaker.ui.common import page_header, page_session
from llmbreaker.ui.controls import training_controls
from llmbreaker.ui.inputs import dataset_picker, training_settings
from llmbreaker.ui.watch import live_view
from llmbreaker.ui.switching import confirm_dataset_switch

PAGE = "watch"

page_header("Watch It Learn to Spell", "A tiny GPT reads a text one character at a time. Press Play and watch "
            "its guesses turn from noise into words.")
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
    switching = confirm_dataset_switch(session, chosen, PAGE)
    make_request = None
    if chosen is not None and train_cfg is not None and not switching:
        def make_request(chosen=chosen, model_cfg=model_cfg, train_cfg=train_cfg):
            prompt = next_token_prompt(chosen.key, chosen.text)
            return TrainingRequest(chosen.text, model_cfg, replace(train_cfg, next_prompt=prompt),
                                   label=chosen.label)
    training_controls(session, make_request, PAGE)

live_view(session, PAGE)
