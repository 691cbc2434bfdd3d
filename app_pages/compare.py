"""Compare: published model architectures side by side, with every formula next to its result."""
from llmbreaker.ui.common import page_header
from llmbreaker.ui.compare_view import compare_page

page_header("Compare architectures", "GPT-2, LLaMA, Mistral, Qwen, DeepSeek and our tiny GPT, side by side: "
            "parameters, KV cache and compute, from their published shapes.", page="compare")
compare_page()
