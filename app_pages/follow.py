"""Follow one character: from its id through every layer to the next character's probability, in
chapters, with branching at the end (docs/design.md §Journey)."""
from llmbreaker.ui.common import page_header
from llmbreaker.ui.journey_follow import PAGE, view

page_header("Follow one character", "One character's trip through the model, chapter by chapter: from its id "
            "to the probability of the next character.", page=PAGE)
view()
