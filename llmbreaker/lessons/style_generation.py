"""What a trained Style model writes: a continuation of the person's own opening words."""
from __future__ import annotations

import torch

# A fine-tuned model sometimes recites: the checkpoint was chosen on a sample that copied at most a
# few words in a row, but another draw from it can copy a whole sentence (23 words once, in a
# browser test). So the page writes up to DRAFTS drafts and shows the first that copies at most
# this many words in a row from the person's text (else the one that copies least): new text in
# their style, not their text.
MAX_COPIED_SHOWN = 10
DRAFTS = 4


def generate_from(model, tokenizer, prompt: str, temperature: float, n_chars: int, seed: int) -> tuple[str, list[float]]:
    """The prompt (characters the model has no token for left out), then `n_chars` sampled
    characters, and the probability the model gave each character it chose. Seeded, so the same
    model, prompt and settings write the same text."""
    from llmbreaker.engine.text_clean import clean_text

    ids = tokenizer.encode(tokenizer.filter(clean_text(prompt))) or [tokenizer.stoi.get("\n", 0)]
    gen = torch.Generator().manual_seed(seed)
    new_ids, probs = model.generate(torch.tensor(ids, dtype=torch.long), n_chars, temperature, generator=gen)
    return tokenizer.decode(ids) + tokenizer.decode(new_ids), probs


def generate_new_text(model, tokenizer, prompt: str, temperature: float, n_chars: int, seed: int, original: str,
                      max_copied: int = MAX_COPIED_SHOWN, drafts: int = DRAFTS) -> tuple[str, list[float], int]:
    """`generate_from`, drawn again (seeds seed, seed + 1, ...) while the text copies more than
    `max_copied` words in a row from `original`: (text, probabilities, drafts written). With no
    original (a loaded model and an empty box) the first draft is the text."""
    from llmbreaker.lessons.style import longest_copied_run

    best = None
    for i in range(drafts if original else 1):
        text, probs = generate_from(model, tokenizer, prompt, temperature, n_chars, seed + 7919 * i)
        copied = longest_copied_run(text, original)[1] if original else 0
        if best is None or copied < best[0]:
            best = (copied, text, probs, i + 1)
        if copied <= max_copied:
            return text, probs, i + 1
    return best[1], best[2], best[3]
