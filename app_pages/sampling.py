"""Sampling lab: temperature, top-k and top-p reshape the model's next-character guesses (docs/design.md §Journey)."""
from llmbreaker.ui.views.sampling import view

view()
