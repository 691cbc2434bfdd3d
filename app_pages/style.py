"""Style Transfer Speed Run: paste your writing, train, read new text in your style (docs/design.md §Style)."""
from llmbreaker.ui.views.style import view

view()
