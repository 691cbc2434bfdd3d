"""Sampling lab: temperature, top-k and top-p reshape the model's next-character guesses (docs/design.md §Journey)."""
from llmbreaker.ui.common import page_header
from llmbreaker.ui.journey_sampling import PAGE, view

page_header("Sampling lab", "The model gives every character a chance to come next. Turn the dials and see "
            "which ones can still be picked, then let it write.", page=PAGE)
view()
