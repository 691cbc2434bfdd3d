"""Compare: published model architectures side by side, with every formula next to its result."""
from llmbreaker.ui.views.compare import view

view()
