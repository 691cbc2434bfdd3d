"""The settings a page starts from: model sizes and the prompt each dataset is probed with.

Why Watch It Learn's default model is "Shallow" (64 dimensions, 1 layer, 4 heads), not the spec's 16 x 2 x 2:
measured on 2 cores, in the 25 seconds of the demo the spec's 8.6 K-parameter model stalls near a
validation loss of 2.07 and writes few real words, and "Small" (32 x 2 x 2, the default until
docs/design.md §Demo) reaches about 1.90. Given the same 25 s, one layer twice as wide learns more than two
narrow ones: 1.79-1.82 against 1.87-1.92 in alternating runs (with batch 16; the fixed 2,200-step
default run ends at 1.812 against Small's 1.867). A third layer, more or fewer heads, 24/40/48/80/96
dimensions, other batches, learning rates, warm-ups, cosine floors, AdamW betas/eps/weight decay,
GELU/SiLU or another initialisation each moved it by at most about ±0.03 (bench/recipe_search.py;
the figures in bench/RESULTS.md).
"""
from __future__ import annotations

from dataclasses import replace

from llmbreaker.engine.model import ModelConfig
from llmbreaker.engine.trainer import TrainConfig

MODEL_SIZES: dict[str, ModelConfig] = {
    "tiny": ModelConfig(n_embd=16, n_layer=2, n_head=2),
    "small": ModelConfig(n_embd=32, n_layer=2, n_head=2),
    "shallow": ModelConfig(n_embd=64, n_layer=1, n_head=4),
    "deeper": ModelConfig(n_embd=32, n_layer=3, n_head=4),
}
# Short names (they also appear in shared links: ?watch_size=Small) and a line about each.
MODEL_SIZE_LABELS = {"tiny": "Tiny", "small": "Small", "shallow": "Shallow", "deeper": "Deeper"}
MODEL_SIZE_CAPTIONS = {
    "tiny": "the spec's model: 16 dims, 2 layers, 2 heads, ~8.5 K parameters",
    "small": "32 dims, 2 layers, 2 heads, ~29 K parameters",
    "shallow": "64 dims, 1 layer, 4 heads, ~58 K parameters: learns most in 25 s",
    "deeper": "32 dims, 3 layers, 4 heads, ~42 K parameters: slower, more heads to watch",
}
DEFAULT_MODEL_SIZE = "small"  # the pages' default (the Cinema's 2 x 2 grid of heads, the MoE page's base)
# Watch It Learn to Spell's default: the model that learns most in its 25 seconds (docs/design.md §Demo).
PAGE_MODEL_SIZES = {"watch": "shallow"}


def default_model_size(page: str) -> str:
    """The model size a page starts from."""
    return PAGE_MODEL_SIZES.get(page, DEFAULT_MODEL_SIZE)

# Watch It Learn to Spell trains with Muon (TrainConfig.optimizer): at the same CPU time it ends
# ~0.03 lower in its 25 s than AdamW (bench/recipe_steps.py; bench/RESULTS.md, docs/design.md §Demo). The other
# pages keep their tuned AdamW recipes (the Lab's comparisons, the Style page's fine-tuning).
PAGE_TRAIN_CHANGES: dict[str, dict] = {"watch": {"optimizer": "muon"}}


def default_train_config(page: str, base: TrainConfig | None = None) -> TrainConfig:
    """The training settings a page starts from: `base` (TrainConfig's defaults) with the page's changes."""
    return replace(TrainConfig() if base is None else base, **PAGE_TRAIN_CHANGES.get(page, {}))

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
