"""Scaling laws: the Chinchilla fit, compute C = 6ND, and where today's models sit on it."""
from llmbreaker.ui.views.scaling import view

view()
