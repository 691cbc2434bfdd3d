"""Texts to train on: the bundled datasets, uploads, the character tokenizer and batches."""
from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from llmbreaker.engine.errors import UserInputError
from llmbreaker.engine.shakespeare import shakespeare_text

DATASETS_DIR = Path(__file__).resolve().parents[2] / "datasets"  # llmbreaker/engine/corpus.py -> the repository

# name -> (label, one-line description); the order is the order in the selector.
BUNDLED = {
    "shakespeare": ("Shakespeare", "Eight plays in Tiny Shakespeare form: speakers, speeches, old words."),
    "poems": ("Poems", "An original collection: sonnets, ballads, limericks, haiku, songs."),
    "childrens": ("Children's stories", "Original short stories with simple words and sentences."),
}

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # docs/design.md §Limits, also server.maxUploadSize in .streamlit/config.toml
MIN_TRAIN_CHARS = 100  # docs/design.md §Limits: fewer characters cannot fill even one training window
# Distinct characters a model may have: one cap for dataset uploads, the Style page's text (with its
# base model's characters) and model files. The output layer scores every character at every
# position, so a step grows with it: 1.7x the Small model's step at 1,024, 3.4x at 2,048 and 49x at
# 30,000 (bench/vocab_cost.py). A few hundred words of Chinese use 300-500 distinct characters,
# Greek or Vietnamese fewer than 150, so with a ~130-character base they stay well under it.
MAX_VOCAB = 1024
# Characters of a dataset upload that are trained on: the token ids of a text are held as int64
# (8 bytes a character) for the whole run, so a 10 MB file would hold ~80 MB per run. Shakespeare
# has 1.1 M. A longer upload is cut (with a note), not refused.
MAX_TRAIN_CHARS = 2_000_000


@functools.lru_cache(maxsize=None)
def bundled_text(name: str) -> str:
    """The text of a bundled dataset, read (or built) once per process."""
    if name == "shakespeare":
        return shakespeare_text()
    if name not in BUNDLED:
        raise KeyError(name)
    return (DATASETS_DIR / f"{name}.txt").read_text(encoding="utf-8")


@dataclass(frozen=True)
class TextStats:
    characters: int
    vocabulary: int
    words: int


def text_stats(text: str) -> TextStats:
    return TextStats(characters=len(text), vocabulary=len(set(text)), words=len(text.split()))


@functools.lru_cache(maxsize=8)
def bundled_stats(name: str) -> TextStats:
    return text_stats(bundled_text(name))


class CharTokenizer:
    """One token per distinct character. Built from a text, the characters are numbered in sorted
    order; a fine-tuned model keeps its base model's numbering and appends the characters the base
    never saw (`extended`), so `chars` is the order of the token ids, whatever it is."""

    def __init__(self, alphabet: str):
        self.chars = sorted(set(alphabet))
        self.stoi = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str) -> "CharTokenizer":
        return cls("".join(set(text)))

    @classmethod
    def from_chars(cls, chars) -> "CharTokenizer":
        """Exactly these characters, in this order (token id = position). They must be distinct."""
        chars = list(chars)
        if len(set(chars)) != len(chars):
            raise ValueError("a tokenizer's characters must be distinct")
        tok = cls.__new__(cls)
        tok.chars = chars
        tok.stoi = {c: i for i, c in enumerate(chars)}
        return tok

    def extended(self, text: str) -> "CharTokenizer":
        """This vocabulary, then the characters of `text` it lacks (sorted), as new ids at the end."""
        new = sorted(set(text) - set(self.stoi))
        return CharTokenizer.from_chars(self.chars + new) if new else self

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def filter(self, text: str) -> str:
        """Drop characters the model has no token for (a prompt may contain any)."""
        return "".join(c for c in text if c in self.stoi)

    def encode(self, text: str) -> list[int]:
        return [self.stoi[c] for c in text]

    def encode_array(self, text: str) -> np.ndarray:
        """`encode` for a whole corpus, as int64 ids: in numpy, not one Python object per character
        (for the 1.1 MB Shakespeare the list and its torch.tensor took 0.6 s of the wait between Play
        and the first loss point; this takes ~20 ms). An unknown character raises KeyError, as `encode`."""
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        keys = np.fromiter((ord(c) for c in self.chars), dtype=np.int64, count=len(self.chars))
        # A table from code point to id (-1: no token), as long as the text's highest code point:
        # at most 4.5 MB even for a text reaching the last plane of Unicode.
        top = int(max(codes.max(initial=0), keys.max(initial=0))) + 1
        table = np.full(top, -1, dtype=np.int32)
        table[keys] = np.arange(len(keys), dtype=np.int32)
        ids = table[codes]
        unknown = np.flatnonzero(ids < 0)
        if unknown.size:
            raise KeyError(text[int(unknown[0])])
        return ids.astype(np.int64)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_mixed(data: bytes) -> str:
    """Bytes that are not all UTF-8: each line as UTF-8 if it is, else as Windows-1252. A file
    pasted together from two editors (one line "Café" in UTF-8, another in Windows-1252) keeps both
    right, where decoding the whole file as Windows-1252 turned the UTF-8 ones into "CafÃ©"."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    lines = data.split(b"\n")
    out = []
    for line in lines:
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(line.decode("cp1252", errors="replace"))
    return "\n".join(out)


def decode_text_file(data: bytes) -> str:
    """Bytes of a .txt upload -> text. UTF-8 (with or without BOM), UTF-16 with BOM, else line by line
    UTF-8 or Windows-1252.

    Raises UserInputError for files that are not text at all (NUL bytes or many control characters
    outside a UTF-16 file: a binary renamed .txt).
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise UserInputError("file_too_large", f"This file is {len(data) / 1e6:.1f} MB.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise UserInputError("file_unreadable", "It claims to be UTF-16 but is not. Save it as UTF-8 text.")
    else:
        if b"\x00" in data:
            raise UserInputError("file_unreadable", "It looks like a binary file, not text. Choose a plain .txt file.")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = _decode_mixed(data)
    controls = sum(1 for c in text[:100_000] if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > max(8, len(text[:100_000]) // 100):
        raise UserInputError("file_unreadable", "It looks like a binary file, not text. Choose a plain .txt file.")
    return normalise_newlines(text)


def display_name(filename: str, limit: int = 60) -> str:
    """A file name safe to show in Markdown: letters, digits, space, dot, dash and underscore only.
    Names are only ever shown, never used as paths."""
    name = re.sub(r"[^A-Za-z0-9 ._-]", "_", Path(filename or "file").name)
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _return_freed_memory() -> None:
    """Give the heap pages freed by reading a large upload back to the system. Uploads are read on
    a browser session's script thread, whose glibc arena otherwise keeps them: each tab that
    uploaded a large file left its peak behind in the server's RSS."""
    try:
        import ctypes
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def read_upload(filename: str, data: bytes) -> str:
    """An uploaded file -> its text. The file name is only looked at for its extension."""
    try:
        return _read_upload(filename, data)
    finally:
        if len(data) > 256 * 1024 or Path(filename or "").suffix.lower() == ".docx":
            _return_freed_memory()


def _read_upload(filename: str, data: bytes) -> str:
    ext = Path(filename or "").suffix.lower()
    if ext == ".txt":
        text = decode_text_file(data)
    elif ext == ".docx":
        from llmbreaker.engine.docx_reader import read_docx

        text = read_docx(data)
    else:
        shown = display_name(ext) if ext else "no extension"
        raise UserInputError("file_invalid_type", f"'{shown}' files cannot be read here.")
    if not text.strip():
        raise UserInputError("text_too_short", "The file is empty.")
    return text


def distinct_count(text: str, known=()) -> int:
    """How many different characters `text` and `known` have together, in bounded memory: code
    points are counted with numpy, a million at a time. (`len(set(text))` makes one Python object
    per distinct character: for a file of 1.1 million distinct code points, ~200 MB at once.)"""
    seen = np.array([ord(c) for c in set(known)], dtype=np.uint32)
    step = 1 << 20
    for i in range(0, len(text), step):
        chunk = np.frombuffer(text[i:i + step].encode("utf-32-le"), dtype=np.uint32)
        seen = np.union1d(seen, chunk)
    return int(seen.size)


def check_vocab(text: str, known=()) -> int:
    """The distinct characters of `text` together with `known` (a base model's vocabulary), or
    UserInputError("too_many_characters") over MAX_VOCAB. Checked before any model is built."""
    n = distinct_count(text, known)
    if n > MAX_VOCAB:
        raise UserInputError(
            "too_many_characters",
            f"It uses {n:,} different characters{' with the model it starts from' if known else ''}; a model here "
            f"can learn at most {MAX_VOCAB:,} (each one costs every training step). Choose a text in one or two "
            f"scripts, or a shorter part of this one.",
        )
    return n


def check_trainable(text: str, block_size: int) -> None:
    """A text must hold more than a training window in both its train and validation parts, at most
    MAX_TRAIN_CHARS characters and at most MAX_VOCAB distinct ones (checked before any model or
    token tensor is made)."""
    needed = max(MIN_TRAIN_CHARS, 10 * (block_size + 1))
    if len(text) < needed:
        raise UserInputError(
            "text_too_short",
            f"This text has {len(text):,} characters; training needs at least {needed:,}.",
        )
    if len(text) > MAX_TRAIN_CHARS:
        raise UserInputError("text_too_long", f"This text has {len(text):,} characters; training takes at most "
                                              f"{MAX_TRAIN_CHARS:,}.")
    check_vocab(text)


class Batches:
    """Random windows of a token sequence, as (inputs, targets) tensors.

    The window offsets `arange(block_size + 1)` are made once, so a batch is one randint and one
    gather instead of a Python loop of slices.
    """

    def __init__(self, data: torch.Tensor, block_size: int, batch_size: int, generator: torch.Generator):
        if len(data) <= block_size + 1:
            raise UserInputError("text_too_short", f"The text is shorter than one window of {block_size + 1} characters.")
        self.data = data
        self.block_size = block_size
        self.batch_size = batch_size
        self.generator = generator
        self._offsets = torch.arange(block_size + 1)

    def sample(self, batch_size: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        n = batch_size or self.batch_size
        starts = torch.randint(len(self.data) - self.block_size - 1, (n, 1), generator=self.generator)
        windows = self.data[starts + self._offsets]
        return windows[:, :-1], windows[:, 1:]


def split_train_val(ids: torch.Tensor, train_share: float = 0.9) -> tuple[torch.Tensor, torch.Tensor]:
    n = int(len(ids) * train_share)
    return ids[:n], ids[n:]
