"""RoPE: rotary position embedding, one clock hand per pair of dimensions."""
from llmbreaker.ui.common import page_header
from llmbreaker.ui.rope_view import rope_page

page_header("Rotary positions (RoPE)", "How LLaMA, Mistral, Qwen and DeepSeek know where a word is: by turning "
            "pairs of numbers, each at its own speed.", page="rope")
rope_page()
