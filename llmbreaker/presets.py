"""The settings a page starts from: model sizes and the prompt each dataset is probed with.

Why the default model is "Small" (32 dimensions) and not the spec's 16: measured on a 2-core
machine, in the 25 seconds of the demo the spec's 8.6 K-parameter model stalls near a validation
loss of 2.07 and writes few real words, while the 29 K-parameter model reaches about 1.83 and
spells most words. Bigger models get too few steps in 25 seconds to catch up (../shared/NOTES.md).
"""
from __future__ import annotations

from .model import ModelConfig

MODEL_SIZES: dict[str, ModelConfig] = {
    "tiny": ModelConfig(n_embd=16, n_layer=2, n_head=2),
    "small": ModelConfig(n_embd=32, n_layer=2, n_head=2),
    "deeper": ModelConfig(n_embd=32, n_layer=3, n_head=4),
}
# Short names (they also appear in shared links: ?watch_size=Small) and a line about each.
MODEL_SIZE_LABELS = {"tiny": "Tiny", "small": "Small", "deeper": "Deeper"}
MODEL_SIZE_CAPTIONS = {
    "tiny": "the spec's model: 16 dims, 2 layers, 2 heads, ~8.6 K parameters",
    "small": "32 dims, 2 layers, 2 heads, ~29 K parameters: learns most in 25 s",
    "deeper": "32 dims, 3 layers, 4 heads, ~42 K parameters: slower, more heads to watch",
}
DEFAULT_MODEL_SIZE = "small"

# Next-token probabilities are shown after a prompt that ends mid-word, so that a model that has
# learned to spell becomes sure of the next letter.
NEXT_TOKEN_PROMPTS = {
    "shakespeare": "KING:\nI will speak with th",
    "poems": "The moon is shining on th",
    "childrens": "Once upon a time, there was a little gi",
}


def next_token_prompt(dataset: str, text: str) -> str:
    """The dataset's prompt, or for a person's own text the start of a line of it, cut mid-word."""
    if dataset in NEXT_TOKEN_PROMPTS:
        return NEXT_TOKEN_PROMPTS[dataset]
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 4:
            head = " ".join(words[:3])
            return f"{head} {words[3][: max(1, len(words[3]) // 2)]}"
    return text[:20]
