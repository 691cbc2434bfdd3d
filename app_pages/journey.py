"""The learning journey: the pipeline as a metro line, each station linked to its page, and three
learning paths (docs/design.md §Journey). The landing page's "See the whole journey" leads here."""
from llmbreaker.ui.views.journey import view

view()
