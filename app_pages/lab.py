"""Architecture Lab: switch parts of the transformer off, train, and compare the runs (docs/design.md §Lab)."""
from llmbreaker.ui.views.lab import view

view()
