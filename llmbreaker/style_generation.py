"""What a trained Style model writes: a continuation of the person's own opening words."""
from __future__ import annotations

import torch


def generate_from(model, tokenizer, prompt: str, temperature: float, n_chars: int, seed: int) -> tuple[str, list[float]]:
    """The prompt (characters the model has no token for left out), then `n_chars` sampled
    characters, and the probability the model gave each character it chose. Seeded, so the same
    model, prompt and settings write the same text."""
    from .base_model import clean_text

    ids = tokenizer.encode(tokenizer.filter(clean_text(prompt))) or [tokenizer.stoi.get("\n", 0)]
    gen = torch.Generator().manual_seed(seed)
    new_ids, probs = model.generate(torch.tensor(ids, dtype=torch.long), n_chars, temperature, generator=gen)
    return tokenizer.decode(ids) + tokenizer.decode(new_ids), probs
