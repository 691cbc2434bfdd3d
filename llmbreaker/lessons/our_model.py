"""The app's own model, described once (docs/design.md §Consistency): its vocabulary, its parameter count and its
name, as every page shows them. Computed from the same corpus and the same size table the trainer
uses, never written down by hand: Tiny Shakespeare's famous 65 characters are not ours (our
Shakespeare, `shakespeare.py`, keeps 63), and a hard-coded 65 made Inside and Compare say 29,408
parameters where the model trained on the other pages has 29,344.

The vocabulary of a bundled text is that of the whole text: the trainer builds its tokenizer from
the whole text before it splits it into training and validation parts (`Trainer`), so the model's
embedding table has a row for every character of the text, whichever part it is in.
"""
from __future__ import annotations

import functools
from dataclasses import replace

from llmbreaker.engine.corpus import bundled_stats
from llmbreaker.engine.model import ModelConfig, parameter_budget
from llmbreaker.engine.presets import MODEL_SIZE_LABELS, MODEL_SIZES

DATASET = "shakespeare"  # the text the app's own model is described on (every page's default text)
# The size the Compare row, Inside's default and the journey's bundled model
# (datasets/models/shakespeare-small.lbmodel) describe; Cinema and MoE train it by default.
SIZE = "small"


def vocab_size(dataset: str = DATASET) -> int:
    """Distinct characters of a bundled text: the model's vocabulary when it trains on it."""
    return bundled_stats(dataset).vocabulary


def config(size: str = SIZE, dataset: str = DATASET) -> ModelConfig:
    """The model of one of the app's sizes (presets.MODEL_SIZES) as it is built for a bundled text."""
    return replace(MODEL_SIZES[size], vocab_size=vocab_size(dataset))


@functools.lru_cache(maxsize=None)
def parameters(size: str = SIZE, dataset: str = DATASET) -> int:
    """Every weight of that model, biases included: the Total row of its parameter table."""
    return parameters_of(MODEL_SIZES[size], dataset)


def parameters_of(cfg: ModelConfig, dataset: str = DATASET) -> int:
    """The parameters of any shape (the Lab's own sizes) built for a bundled text."""
    rows, _ = parameter_budget(replace(cfg, vocab_size=vocab_size(dataset)))
    return int(rows[-1]["params"])


def name(size: str = SIZE) -> str:
    """'MicroGPT (Small)': the name every page gives the app's model of a size."""
    return f"MicroGPT ({MODEL_SIZE_LABELS[size]})"


def about(n: int) -> str:
    """A count for running text, to two significant figures: 29,344 -> 'about 29,000'."""
    digits = max(0, len(str(int(n))) - 2)
    return f"about {round(int(n), -digits):,}"
