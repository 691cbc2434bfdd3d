"""How the Style page trains: fine-tuning the pretrained base model (the default) or a small model
from nothing, for the same seconds. The figures behind each number are printed by
`python bench/style_transfer.py` and kept in bench/RESULTS.md.
"""
from __future__ import annotations

import functools

from .model import ModelConfig
from .trainer import TrainConfig

# Seconds of training (optimizer steps) both starts get: the spec's "~20 seconds" demo.
STYLE_SECONDS = 20.0

# Fine-tuning: the base already spells; a short text teaches it names, topics and phrases within
# a few dozen steps, and a little later it starts to recite. So: a low learning rate (at 1e-3 a
# probe copied whole sentences by step 40), a checkpoint every few steps, keeping the one whose
# sample has the most of the author's words while copying at most MAX_COPIED words in a row, and
# an early stop once several checkpoints in a row were no better.
MAX_COPIED = 10
FINETUNE_MODEL = ModelConfig(dropout=0.1)  # only the dropout is used: the shape is the base's
FINETUNE_TRAIN = TrainConfig(max_steps=120, batch_size=16, learning_rate=3e-4, warmup_steps=5, min_lr_ratio=0.3,
                             eval_interval=5, eval_batches=2, sample_chars=200, patience=5, keep_best=True,
                             select_by="author_words", max_copied_words=MAX_COPIED, time_budget=STYLE_SECONDS)

# From nothing: the Small model with a little dropout, at a high rate (see README, "Style").
SCRATCH_MODEL = ModelConfig(n_embd=32, n_layer=2, n_head=2, dropout=0.1)
SCRATCH_TRAIN = TrainConfig(max_steps=1000, eval_interval=50, learning_rate=1e-2, warmup_steps=30, sample_chars=300,
                            patience=4, keep_best=True, select_by="author_words", max_copied_words=MAX_COPIED,
                            time_budget=STYLE_SECONDS)


@functools.lru_cache(maxsize=1)
def base_corpus_words() -> frozenset[str]:
    """Lower-case words of the text the base model read (its modern texts, the bundled datasets,
    and the plays of the Shakespeare dataset): what "a real word" means for the Style page,
    together with the author's own words."""
    from .base_model import clean_text
    from .corpus import DATASETS_DIR, bundled_text
    from .style import words_of

    parts = [p.read_text(encoding="utf-8") for p in sorted((DATASETS_DIR / "pretrain").glob("*.txt"))]
    parts += [bundled_text(name) for name in ("poems", "childrens", "shakespeare")]
    return frozenset(words_of(clean_text("\n".join(parts))))

