"""How a person's text is cleaned before a model reads it: nothing visible is lost.

Pure Python (no torch), so the page's text checks, the trainer and the tools share one rule.
"""
from __future__ import annotations

import unicodedata

# Invisible or spacing characters with a plain equivalent: mapped, so that a text pasted from a
# word processor or a web page reads the same to the model as one typed in a plain editor.
_SPACES = {"\t": " ", "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ",
           "\u2028": "\n", "\u2029": "\n"}
_INVISIBLE = {"\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": ""}
_TABLE = str.maketrans({**_SPACES, **_INVISIBLE})


def clean_text(text: str) -> str:
    """What the base model reads and writes: line ends as LF, Unicode NFC (e + ´ -> é), tabs and
    special spaces as spaces, invisible characters and control characters dropped. Every visible
    character is kept, whatever its script; curly quotes and dashes stay as they are."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).translate(_TABLE)
    return "".join(c for c in text if c == "\n" or unicodedata.category(c)[0] != "C")
