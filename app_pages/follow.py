"""Follow one character: from its id through every layer to the next character's probability, in
chapters, with branching at the end (docs/design.md §Journey)."""
from llmbreaker.ui.views.follow import view

view()
