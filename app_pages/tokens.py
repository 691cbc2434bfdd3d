"""Data and tokens: the text, its character vocabulary, text <-> ids, the split and one batch
(docs/design.md §Journey)."""
from llmbreaker.ui.common import page_header
from llmbreaker.ui.journey_tokens import PAGE, view

page_header("Data and tokens", "Before a model can learn, its text becomes numbers. Here is how, for the "
            "text your model learned from.", page=PAGE)
view()
