"""Inside the model: the parameter budget of the MicroGPT, component by component (docs/design.md §Parameters)."""
from llmbreaker.ui.views.inside import view

view()
