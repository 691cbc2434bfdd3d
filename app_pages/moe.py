"""Mixture of experts, live: a small MoE GPT trains and its router shares the work (docs/design.md §MoE)."""
from llmbreaker.ui.views.moe import view

view()
