"""What a word is, for every page and for the trainer: one rule.

A word is a run of letters of any script and digits, with inner apostrophes (don't, o'clock) and
the combining marks of scripts that write accents apart; punctuation is never part of one, and
words are compared lower-cased. The Watch page marks the real words of a sample with it, the Lab
counts them, the Style page measures a person's words and sentences with it, and the trainer picks
the Style run's checkpoint by it (`author_word_share`, `longest_copied_run`).

Pure Python and numpy: no torch, no streamlit.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np

# Typographic characters that have a plain equivalent: how a text is read when its words and
# sentences are counted (the model itself reads the text as typed, text_clean.clean_text).
_REPLACE = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u00ad": "",  # soft hyphen: invisible
    "\u2026": "...",
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ", "\t": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",  # zero-width, BOM
    "\u2028": "\n", "\u2029": "\n",
}
_REPLACE_TABLE = str.maketrans(_REPLACE)


def normalise(text: str) -> str:
    """CRLF/CR -> LF, Unicode NFC (e + combining accent -> é), curly quotes -> straight quotes,
    dashes -> '-', '…' -> '...', tabs and special spaces -> space, invisible characters dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).translate(_REPLACE_TABLE)


# "café", "Αθήνα" and "Việt" stay whole. (A text without spaces, such as Chinese, is one "word"
# per run of letters.)
_L = r"[^\W_]"
WORD = re.compile(f"{_L}[\u0300-\u036f]*(?:{_L}[\u0300-\u036f]*)*(?:'{_L}+)*")
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})  # same length, so spans stay valid


def words_of(text: str) -> list[str]:
    """The words of a text, lower-cased, punctuation stripped."""
    return [m.group().lower() for m in WORD.finditer(normalise(text))]


def word_set(text: str) -> frozenset[str]:
    """A text's words, lower-cased: what "a real word" of a training text means."""
    return frozenset(words_of(text))


def word_spans(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Lower-cased words and their character spans in `text` itself (so spans index the text as
    given; only curly apostrophes are read as straight ones, which keeps lengths equal)."""
    found = list(WORD.finditer(text.translate(APOSTROPHES)))
    return [unicodedata.normalize("NFC", m.group().lower()) for m in found], [m.span() for m in found]


# Single ASCII letters that are words on their own. Any other lone ASCII letter or digit is noise
# even when the text has it as a "word" (the d of "kill'd", a roman numeral): random text is full of
# lone letters, and counting them made step 0's gibberish look 14 % spelled. A lone letter of
# another script (Greek ο, Chinese 我) is a word when the text has it.
ONE_LETTER_WORDS = frozenset({"a", "i", "o"})


def is_real_word(word: str, words: frozenset[str]) -> bool:
    """`word` (as written) is one of `words` (a `word_set`), lone-letter noise excepted."""
    low = word.lower()
    return low in words and (len(low) > 1 or low in ONE_LETTER_WORDS or not low.isascii())


def mark_words(text: str, words: frozenset[str]) -> list[tuple[str, bool | None]]:
    """The text cut into runs, in order, that join back into it: (a word, True when it is one of
    `words`, else False) or (what lies between words, None)."""
    runs: list[tuple[str, bool | None]] = []
    pos = 0
    for low, (start, end) in zip(*word_spans(text)):
        if start > pos:
            runs.append((text[pos:start], None))
        runs.append((text[start:end], is_real_word(low, words)))
        pos = end
    if pos < len(text):
        runs.append((text[pos:], None))
    return runs


def real_word_share(text: str, words: frozenset[str]) -> float:
    """The share of the text's words that are real words of `words` (0 when it has no word)."""
    flags = [is_word for _, is_word in mark_words(text, words) if is_word is not None]
    return sum(flags) / len(flags) if flags else 0.0


def author_word_share(generated: str, original: str, min_letters: int = 3) -> float:
    """Share of the generated words of `min_letters` or more letters that are words of the original
    (0.0 if there are none). Short words (a, to, the) are in every English text, so they say
    nothing about whose words these are."""
    vocab = {w for w in words_of(original) if len(w) >= min_letters}
    found = [w for w in words_of(generated) if len(w) >= min_letters]
    return sum(w in vocab for w in found) / len(found) if found else 0.0


def known_word_share(generated: str, known: frozenset[str] | set[str], min_letters: int = 3) -> float:
    """Share of the generated words of `min_letters` or more letters found in `known` (lower-case
    words: the author's and those the base model read). Misspelt or made-up words are not."""
    found = [w for w in words_of(generated) if len(w) >= min_letters]
    return sum(w in known for w in found) / len(found) if found else 0.0


def longest_copied_run(generated: str, original: str) -> tuple[str, int]:
    """The longest run of consecutive generated words that appears word for word in the original:
    (the run as written in the generated text, its length in words). ("", 0) if no word matches;
    the earliest run wins a tie.

    Longest common substring over words: one numpy row per generated word, O(len(gen) x len(orig)).
    """
    gw, gspans = word_spans(generated)
    ow, _ = word_spans(original)
    if not gw or not ow:
        return "", 0
    ids = {w: i for i, w in enumerate(dict.fromkeys(ow + gw))}
    orig = np.fromiter((ids[w] for w in ow), dtype=np.int64, count=len(ow))
    prev = np.zeros(len(ow), dtype=np.int64)
    best, best_end = 0, -1
    for j, w in enumerate(gw):
        run = np.zeros_like(prev)
        eq = orig == ids[w]
        run[0] = eq[0]
        run[1:] = np.where(eq[1:], prev[:-1] + 1, 0)
        top = int(run.max())
        if top > best:
            best, best_end = top, j
        prev = run
    if best == 0:
        return "", 0
    start = gspans[best_end - best + 1][0]
    return generated[start:gspans[best_end][1]], best
