"""The landing page at "/" (docs/design.md §Landing): the first screen a shared link or a projector shows."""
from llmbreaker.ui.views.landing import view

view()
