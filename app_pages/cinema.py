"""Attention Evolution Cinema: watch attention heads turn from noise into structure (docs/design.md §Cinema)."""
from llmbreaker.ui.views.cinema import view

view()
