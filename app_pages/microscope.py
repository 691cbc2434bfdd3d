"""Component microscope: one layer and head of the model, step by step, with the model's own numbers
(docs/design.md §Journey)."""
from llmbreaker.ui.views.microscope import view

view()
