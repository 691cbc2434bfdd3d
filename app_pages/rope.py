"""RoPE: rotary position embedding, one clock hand per pair of dimensions."""
from llmbreaker.ui.views.rope import view

view()
