"""Watch It Learn to Spell: pick a text, press Play, watch samples turn into words (docs/design.md §Watch)."""
from llmbreaker.ui.views.watch import view

view()
