"""The "Data and tokens" page's numbers: what cleaning did, the vocabulary with counts, text <-> ids,
the train/validation split and one training batch, all from the engine's own tokenizer and batcher."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import torch

from llmbreaker.engine.corpus import BUNDLED, Batches, CharTokenizer, bundled_text, split_train_val


def vocabulary(text: str, tokenizer: CharTokenizer) -> list[dict]:
    """One row per token: id, the character, how often it occurs in the text and its share."""
    counts = Counter(text)
    total = max(1, len(text))
    return [{"id": i, "char": c, "count": counts.get(c, 0), "share": counts.get(c, 0) / total}
            for i, c in enumerate(tokenizer.chars)]


def cleaning(text: str, text_label: str) -> list[str]:
    """Sentences on how the text was prepared, with numbers measured on it."""
    lines = [f"{len(text):,} characters, {len(set(text))} different ones, {text.count(chr(10)):,} line breaks."]
    bundled = {label: key for key, (label, _) in BUNDLED.items()}
    key = bundled.get(text_label)
    if key == "shakespeare" and text == bundled_text("shakespeare"):
        from llmbreaker.lessons.journey import shakespeare_cleaning
        c = shakespeare_cleaning()
        removed = ", ".join(f"{ch!r} ×{n:,}" for ch, n in c["removed_chars"][:8])
        lines += [
            f"Built from {c['plays']} plays in Markdown: {c['raw']:,} characters, {c['raw_vocab']} different ones.",
            "Headings, stage directions and Markdown marks were removed; each speech became "
            "'SPEAKER:' and its lines (the form of Karpathy's Tiny Shakespeare).",
            f"Characters that no longer occur: {removed}." if removed else "No character was dropped.",
            f"Kept: {c['after']:,} characters ({c['after'] / c['raw']:.0%}), {c['after_vocab']} different ones.",
        ]
    elif key is not None:
        lines.append("A bundled text, used as written: line endings are \\n (Windows' \\r\\n would become \\n).")
    else:
        lines.append("Your text: decoded from UTF-8 (or UTF-16 / Windows-1252), Windows line endings \\r\\n "
                     "turned into \\n. Nothing else is changed: every character you wrote is a token.")
    return lines


def ids_from_text(raw: str, vocab_size: int) -> tuple[list[int], list[str]]:
    """'46, 43 1' -> ([46, 43, 1], []) ; anything that is not an id of this vocabulary is reported."""
    ids, bad = [], []
    for piece in re.split(r"[\s,;]+", raw.strip()):
        if not piece:
            continue
        if piece.isdigit() and int(piece) < vocab_size:
            ids.append(int(piece))
        else:
            bad.append(piece)
    return ids, bad


@dataclass
class Split:
    train_chars: int
    val_chars: int
    val_start: str  # the first characters of the validation part


def split(text: str, tokenizer: CharTokenizer) -> Split:
    ids = torch.tensor(tokenizer.encode(tokenizer.filter(text)), dtype=torch.long)
    train, val = split_train_val(ids)
    return Split(len(train), len(val), tokenizer.decode(val[:80].tolist()))


def one_batch(text: str, tokenizer: CharTokenizer, block_size: int, batch_size: int = 4,
              seed: int = 1337) -> tuple[list[list[int]], list[list[int]]]:
    """A training batch as the trainer draws it (random windows of the training part, each target
    the input shifted by one)."""
    ids = torch.tensor(tokenizer.encode(tokenizer.filter(text)), dtype=torch.long)
    train, _ = split_train_val(ids)
    x, y = Batches(train, block_size, batch_size, torch.Generator().manual_seed(seed)).sample()
    return x.tolist(), y.tolist()
