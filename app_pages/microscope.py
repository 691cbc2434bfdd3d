"""Component microscope: one layer and head of the model, step by step, with the model's own numbers
(docs/design.md §Journey)."""
from llmbreaker.ui.common import page_header
from llmbreaker.ui.journey_microscope import PAGE, view

page_header("Component microscope", "Type a few characters and open one layer of the model: every step of "
            "attention and the feed-forward layer, with the real numbers.", page=PAGE)
view()
