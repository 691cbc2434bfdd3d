"""Inside the model: the parameter budget of the MicroGPT, component by component (docs/design.md §Parameters)."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from llmbreaker.engine.model import parameter_budget
from llmbreaker.engine.presets import MODEL_SIZE_CAPTIONS, MODEL_SIZE_LABELS, MODEL_SIZES
from llmbreaker.lessons import our_model
from llmbreaker.ui.shell import page_header
from llmbreaker.ui.widgets.parameter_table import parameter_table

PAGE = "inside"


def view() -> None:
    page_header("Inside the model", "Where the numbers live: every weight of the tiny GPT, counted.", page=PAGE)
    size = st.radio("Model size", list(MODEL_SIZES), index=list(MODEL_SIZES).index(our_model.SIZE),
                    format_func=MODEL_SIZE_LABELS.get, captions=list(MODEL_SIZE_CAPTIONS.values()), key="inside_size",
                    help="The same sizes as in the training settings of the other pages.")
    vocab = st.number_input("Vocabulary (distinct characters of the text)", 10, 200, our_model.vocab_size(),
                            key="inside_vocab",
                            help=f"The bundled Shakespeare has {our_model.vocab_size()} distinct characters; each is "
                                 "one token. Another text has another number: the Watch page shows it under the dataset.")
    rows, _ = parameter_budget(replace(MODEL_SIZES[size], vocab_size=int(vocab)))
    parameter_table(rows, max_height=800)
    st.caption("Counts include biases. The output head shares its weights with the token embedding "
               "(weight tying), so it adds none: the same table turns characters into vectors and vectors "
               "back into next-character scores.")
