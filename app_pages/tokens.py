"""Data and tokens: the text, its character vocabulary, text <-> ids, the split and one batch
(docs/design.md §Journey)."""
from llmbreaker.ui.views.tokens import view

view()
