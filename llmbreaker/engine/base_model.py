"""The pretrained base model: a MicroGPT that has already read English before it sees a person's text.

Fine-tuning starts from it (the Style page's default), so that a few seconds on ~200 words teach it
the person's names, topics and phrases instead of English spelling from nothing. It is made once by
`tools/train_base_model.py` and committed under `datasets/models/` with a model card (a JSON file
beside it: what it read, its size, its validation loss, how long it trained and on what).

Its vocabulary is fixed: newline, printable ASCII, the Latin-1 letters, and the typographic quotes,
dashes and symbols people paste (’ “ ” – — … € £ °). A person's text may hold characters beyond
it (Greek, Vietnamese, Chinese, emoji): those are appended as new tokens when fine-tuning starts
(`CharTokenizer.extended`), with fresh embedding rows, so no character of anyone's text is lost.
We chose characters over bytes: every picture of the app (attention, next-letter bars, the
journey's microscope) shows one token per character, and a byte-level model would split é into two
tokens that mean nothing on their own, and could write half a character.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from llmbreaker.engine.corpus import DATASETS_DIR, CharTokenizer
from llmbreaker.engine.text_clean import clean_text  # noqa: F401  (the base model's reading of a text, re-exported)

BASE_MODEL_FILE = DATASETS_DIR / "models" / "english-base.lbmodel"
BASE_CARD_FILE = DATASETS_DIR / "models" / "english-base.json"

_LATIN1_LETTERS = "".join(chr(c) for c in range(0xC0, 0x100) if chr(c) not in "\u00d7\u00f7")
_TYPOGRAPHIC = "\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u20ac\u00a3\u00b0\u00ab\u00bb"
# Token ids 0..n-1 in this order; a model file stores the list, so the order is fixed by the file.
BASE_VOCAB: tuple[str, ...] = tuple("\n" + "".join(chr(c) for c in range(32, 127)) + _LATIN1_LETTERS + _TYPOGRAPHIC)

def base_tokenizer() -> CharTokenizer:
    return CharTokenizer.from_chars(BASE_VOCAB)


@dataclass(frozen=True)
class BaseModel:
    model: object  # MicroGPT in eval mode; never trained in place (fine-tuning copies its weights)
    tokenizer: CharTokenizer
    card: dict

    @property
    def characters_read(self) -> int:
        return int(self.card.get("corpus_characters", 0))


def card() -> dict:
    """The model card, or {} if the base model is not there."""
    try:
        return json.loads(BASE_CARD_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def available() -> bool:
    return BASE_MODEL_FILE.is_file()


@functools.lru_cache(maxsize=1)
def load_base() -> BaseModel:
    """The committed base model, loaded and validated once per process (it is read-only)."""
    from llmbreaker.engine.model_io import load_model

    model, tokenizer = load_model(BASE_MODEL_FILE.read_bytes())
    for p in model.parameters():
        p.requires_grad_(False)
    return BaseModel(model=model, tokenizer=tokenizer, card=card())


def unseen_share(text: str, tokenizer: CharTokenizer | None = None) -> tuple[float, list[str]]:
    """The share of a text's characters the base model never read, and those characters (most
    frequent first, ties in the text's order). Greek or Chinese text is nearly all new to an English base."""
    tokenizer = tokenizer or base_tokenizer()
    if not text:
        return 0.0, []
    counts: dict[str, int] = {}
    for c in text:
        if c not in tokenizer.stoi:
            counts[c] = counts.get(c, 0) + 1
    new = sorted(counts, key=lambda c: -counts[c])  # most frequent first; ties in order of appearance
    return sum(counts.values()) / len(text), new
