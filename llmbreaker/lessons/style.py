"""Style Transfer Speed Run, engine side (docs/design.md §Style): checking a person's text, style and
confidence metrics, and the phrases a generated text shares with the original.

Pure Python: no torch, no streamlit. Everything here is a plain function of strings and
numbers, so it can be tested on texts whose answers are worked out by hand.
"""
from __future__ import annotations

import html
import math
import re
import unicodedata
from dataclasses import dataclass

from llmbreaker.engine.errors import UserInputError
from llmbreaker.engine.words import APOSTROPHES, WORD, normalise, word_spans, words_of
# The Style page reads these measures here, beside the others; they live with the word rule.
from llmbreaker.engine.words import author_word_share, known_word_share, longest_copied_run  # noqa: F401


# -- limits -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TextLimits:
    min_words: int = 50  # at least this many words (docs/design.md §Limits)
    min_chars: int = 100  # docs/design.md §Limits, errors.py: fewer characters cannot fill one training window
    # Two upper limits, and whichever is hit first applies (docs/design.md §Limits): 50,000
    # characters and 10,000 words. For ordinary prose (about 5.5-6 characters per word with its
    # space) the character limit comes first (~8,500 words); the word limit only matters for texts
    # of very short words.
    max_chars: int = 50_000
    max_words: int = 10_000
    recommended_words: int = 300  # docs/design.md §Limits: 300 words recommended


USER_TEXT_LIMITS = TextLimits()


# -- the alphabet the model may learn -------------------------------------------------------------

def filter_text(text: str) -> tuple[str, int]:
    """(the text as the model reads it, how many characters were dropped).

    Every visible character is kept, whatever its script (a Greek, Vietnamese or Chinese text trains
    with all its letters; curly quotes, dashes and emoji stay as typed): a model from scratch has one
    token per distinct character, and a fine-tuned one appends the characters its base never read.
    Only control characters are dropped and counted; line ends, tabs, special spaces and invisible
    characters are normalised (text_clean.clean_text), which is not counted as removal.
    """
    from llmbreaker.engine.text_clean import clean_text

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    removed = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t")
    return clean_text(text), removed


# -- checking a person's text ---------------------------------------------------------------------

@dataclass(frozen=True)
class TextCheck:
    text: str  # normalised and filtered: what the model trains on
    removed: int  # control characters dropped by the filter
    chars: int
    words: int  # whitespace-separated, as a word processor counts
    distinct_chars: int  # the model's vocabulary size
    error: UserInputError | None
    warning: str | None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def can_truncate(self) -> bool:
        return self.error is not None and self.error.code == "text_too_long"


def check_user_text(text: str, limits: TextLimits = USER_TEXT_LIMITS, known=()) -> TextCheck:
    """Filter a pasted or uploaded text and say whether it can be trained on. Counts are of the
    filtered text. `error` is set for too little or too much text, or for more distinct characters
    (with `known`, the vocabulary of a model it starts from) than corpus.MAX_VOCAB; `warning` for
    less than the recommended amount."""
    from llmbreaker.engine.corpus import MAX_VOCAB, check_vocab, distinct_count

    filtered, removed = filter_text(text or "")
    chars, words = len(filtered), len(filtered.split())
    error = warning = None
    distinct = distinct_count(filtered)
    if (distinct_count(filtered, known) if known else distinct) > MAX_VOCAB:
        try:
            check_vocab(filtered, known)
        except UserInputError as e:
            error = e
    elif words < limits.min_words or chars < limits.min_chars:
        error = UserInputError(
            "text_too_short",
            f"This text has {words:,} word{'s' * (words != 1)} and {chars:,} character{'s' * (chars != 1)}; "
            f"at least {limits.min_words} words and {limits.min_chars} characters are needed.",
        )
    elif chars > limits.max_chars or words > limits.max_words:
        error = UserInputError(
            "text_too_long",
            f"This text has {chars:,} characters and {words:,} words; the limits are "
            f"{limits.max_chars:,} characters and {limits.max_words:,} words. "
            f"It can be cut to fit, at the end of a sentence.",
        )
    elif words < limits.recommended_words:
        warning = (f"Results improve with more text: this has {words:,} words, and {limits.recommended_words}+ "
                   f"words give the model more of your style to learn.")
    return TextCheck(filtered, removed, chars, words, distinct, error, warning)


_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s)|\n[ \t]*\n")


def truncate(text: str, limits: TextLimits = USER_TEXT_LIMITS) -> str:
    """The start of a text that fits both upper limits, cut after the last sentence end (. ! ? or a
    blank line) if one is in the last fifth of what fits, else at the last space, else (no space in
    the second half of what fits) at the limit itself: never empty. A text that already fits comes
    back unchanged. Meant for `TextCheck.text` (already normalised)."""
    if len(text) <= limits.max_chars and len(text.split()) <= limits.max_words:
        return text
    cut = min(len(text), limits.max_chars)
    words = list(re.finditer(r"\S+", text[: cut + 1]))  # +1: is the word at the cut complete?
    if len(words) > limits.max_words:
        cut = words[limits.max_words - 1].end()
    elif words and words[-1].end() > cut:  # the limit falls inside a word: leave it out
        cut = words[-1].start()
    limit = min(len(text), limits.max_chars)
    if cut < limit // 2:
        # The last word boundary keeps less than half of what fits (a text with no space in its
        # first 50,000 characters was cut to nothing): cut at the limit itself instead.
        cut = limit
    head = text[:cut]
    ends = [m.end() for m in _SENTENCE_END.finditer(head + " ")]
    if ends and ends[-1] >= 0.8 * cut:
        head = head[: ends[-1]]
    return head.rstrip() or text[:limit]


# -- style metrics --------------------------------------------------------------------------------

# Keyword lists for the formality score (docs/design.md §Style). Formal: connectives, hedges and
# set phrases of letters, reports and essays. Informal: slang, chat abbreviations and fillers. Each
# word is one that is rarely used in the other register; ambiguous everyday words ("like", "so",
# "pretty", "please") are left out.
FORMAL_WORDS = frozenset("""
    regarding pursuant aforementioned nevertheless nonetheless notwithstanding furthermore moreover
    therefore consequently hence thus accordingly whereas whereby herein hereby thereby therein
    henceforth heretofore subsequently additionally sincerely respectfully kindly regards
    concerning approximately assist assistance inform request require obtain commence ensure
    facilitate utilize utilise endeavour endeavor shall whom numerous sufficient appreciate
    convenience acknowledge correspondence enclosed purchase inquire enquire indeed
    thereafter albeit
""".split())
INFORMAL_WORDS = frozenset("""
    gonna wanna gotta kinda sorta dunno lemme gimme yeah yep yup nope nah stuff lol lmao omg btw
    tbh idk imo brb thx ty pls plz hey hiya yo dude guys awesome cool ok okay oops wow ugh
    y'all ain't cuz ya folks chill super totally basically literally
""".split())
# Contractions are informal (they are avoided in formal writing): don't, I'm, we're, it's, ...
_CONTRACTION = re.compile(r"(?:n't|'m|'re|'ve|'ll|'d)$")
_S_CONTRACTIONS = frozenset("it's that's there's here's what's who's let's he's she's where's how's".split())


def formality_markers(text: str) -> tuple[int, int]:
    """(formal, informal) marker words of the text: what `formality` counts."""
    words = words_of(text)
    formal = sum(1 for w in words if w in FORMAL_WORDS)
    informal = sum(1 for w in words if w in INFORMAL_WORDS or w in _S_CONTRACTIONS or _CONTRACTION.search(w))
    return formal, informal


def formality(text: str) -> int:
    """0 (informal) to 100 (formal), 50 when neither kind of word is present.

    docs/design.md §Style: 50 + (formal - informal) x 10, clamped. Here the net count is taken per 100 words
    (texts under 100 words count as 100 words), because the page compares a ~1,000-word original with
    a ~100-word sample: with raw counts the longer text would always look more extreme. One net
    formal word per 100 words = 60, five = 100. A short text is not blown up: one formal word in a
    ten-word text is +10, as in the design document.
    """
    words = words_of(text)
    formal, informal = formality_markers(text)
    score = 50 + (formal - informal) * 10 * 100 / max(len(words), 100)
    return int(min(100, max(0, round(score))))


def formality_label(score: int) -> str:
    """'High' (65+), 'Low' (35 or less) or 'Medium': at least 1.5 net markers per 100 words."""
    return "High" if score >= 65 else "Low" if score <= 35 else "Medium"


_SENTENCE_SPLIT = re.compile(r"[.!?]+|\n[ \t]*\n")


def sentences(text: str) -> list[str]:
    """Sentences: pieces between . ! ? and blank lines that hold at least one word."""
    return [s.strip() for s in _SENTENCE_SPLIT.split(normalise(text)) if WORD.search(s)]


def avg_sentence_length(text: str) -> float:
    """Words per sentence (0.0 for a text without words)."""
    parts = sentences(text)
    return sum(len(WORD.findall(s)) for s in parts) / len(parts) if parts else 0.0


def vocabulary_richness(text: str) -> float:
    """Distinct words / all words (0.0 to 1.0), lower-cased, punctuation stripped.

    Longer texts repeat more words, so this falls with length: compare texts of similar length.
    """
    words = words_of(text)
    return len(set(words)) / len(words) if words else 0.0


# Vocabulary richness as the page shows it (docs/design.md §Honesty): counted on real words only, since a
# misspelling is a "new" word and made garbled text look richer than its author's; and on the same
# number of words in both texts, since a longer text repeats more. Below MIN_RICHNESS_WORDS real
# words there is too little to say.
MIN_RICHNESS_WORDS = 30


def real_words(text: str, known) -> list[str]:
    """The text's words (lower-cased) that are in `known`, in order: misspelt and made-up ones left out."""
    return [w for w in words_of(text) if w in known]


def real_vocabulary_richness(text: str, known, n_words: int | None = None) -> float | None:
    """Distinct / all of the text's first `n_words` real words (all of them if None), or None when it
    has fewer than MIN_RICHNESS_WORDS real words: too little signal."""
    words = real_words(text, known)
    if n_words is not None:
        words = words[:n_words]
    if len(words) < MIN_RICHNESS_WORDS:
        return None
    return len(set(words)) / len(words)


def style_metrics(text: str, known=None, richness_words: int | None = None) -> dict:
    """All style metrics of a text, for the side-by-side table. Formality is None when the text has
    no marker word at all (no signal: 50 would read as "Medium"). With `known` (real words), the
    richness is `real_vocabulary_richness` over `richness_words` real words (None: too few)."""
    score = formality(text)
    signal = any(formality_markers(text))
    richness = (vocabulary_richness(text) if known is None
                else real_vocabulary_richness(text, known, richness_words))
    return {
        "formality": score if signal else None,
        "formality_label": formality_label(score) if signal else "no signal",
        "avg_sentence_length": avg_sentence_length(text),
        "vocabulary_richness": richness,
        "words": len(words_of(text)),
        "real_words": len(real_words(text, known)) if known is not None else len(words_of(text)),
    }


# -- confidence metrics ---------------------------------------------------------------------------

def avg_chosen_probability(probs) -> float:
    """Mean probability the model gave each character it chose while generating (0.0 if none)."""
    values = [float(p) for p in probs if math.isfinite(float(p))]
    return sum(values) / len(values) if values else 0.0


def perplexity(val_loss: float) -> float:
    """exp(validation loss): the model is as unsure as if it picked among this many characters
    uniformly. inf for a non-finite or huge loss."""
    if not math.isfinite(val_loss) or val_loss > 700:
        return math.inf
    return math.exp(val_loss)


# The label says how sure the model is of what it writes, so it comes from the average probability
# of the characters it chose (sampled at the page's temperature): 0.6+ means most picks were near-
# certain, under 0.2 most were picks among several similar options.
#
# Validation perplexity answers another question: how well the model predicts text of yours it has
# not seen. Its thresholds follow the character entropy of English (Shannon): letter frequencies
# alone give ~4.1 bits = perplexity ~17-20, knowing the previous letter ~3.3 bits = ~10, a few
# letters of context ~2.3 bits = ~5. It sets the label only when no generation was measured.
#
# Taking the lower of the two levels was tried and rejected: on 300-1,000 words the model memorises
# within a few hundred steps (measured, Small model, steps 500-1,500: train loss 0.07-0.7,
# validation perplexity 20-8,000, average chosen probability 0.65-1.0), and calling a model that recites its text with 99 % certainty
# "guessing" is wrong. That case is reported separately by `is_reciting`.
CONFIDENCE_LABELS = ("guessing", "unsure", "fairly confident", "very confident")
PROB_THRESHOLDS = (0.2, 0.4, 0.6)  # avg chosen probability at least this -> level 1, 2, 3
PERPLEXITY_THRESHOLDS = (20.0, 10.0, 5.0)  # perplexity at most this -> level 1, 2, 3
RECITING_PROB, RECITING_PERPLEXITY = 0.6, 20.0
RECITING_NOTE = ("It is sure of what it writes but poor at predicting new text of yours: it is reciting "
                 "your text more than writing in your style.")


def confidence_label(avg_prob: float | None, perplexity: float | None = None, alphabet: int | None = None) -> str:
    """Plain words for how sure the model is of what it generates: from the average chosen
    probability, or from the validation perplexity when there is no generation yet (avg_prob None).

    The label never contradicts the perplexity beside it (docs/design.md §Honesty): a perplexity at or above
    `alphabet` (the distinct characters of the person's text) is no better than guessing evenly among
    them, so the label is "guessing", however sure the model is of its own text; above
    RECITING_PERPLEXITY (worse than letter frequencies) it is at most "unsure"."""
    if avg_prob is not None and math.isfinite(avg_prob):
        level = sum(avg_prob >= t for t in PROB_THRESHOLDS)
    elif perplexity is not None and math.isfinite(perplexity):
        level = sum(perplexity <= t for t in PERPLEXITY_THRESHOLDS)
    else:
        return CONFIDENCE_LABELS[0]
    if perplexity is not None:
        if alphabet and (not math.isfinite(perplexity) or perplexity >= alphabet):
            level = 0
        elif perplexity > RECITING_PERPLEXITY:
            level = min(level, 1)
    return CONFIDENCE_LABELS[level]


def worse_than_guessing(perplexity: float | None, alphabet: int | None) -> bool:
    """The held-out perplexity is no better than guessing evenly among the text's characters."""
    return perplexity is not None and bool(alphabet) and (not math.isfinite(perplexity) or perplexity >= alphabet)


def is_reciting(avg_prob: float, perplexity: float) -> bool:
    """Sure of its own text (avg chosen probability 0.6+) yet worse than letter frequencies on
    unseen text (validation perplexity over 20): memorised, not generalised. Show RECITING_NOTE."""
    return avg_prob >= RECITING_PROB and perplexity > RECITING_PERPLEXITY


# -- what the generated text shares with the original ----------------------------------------------

Span = tuple[int, int]


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def phrase_spans(original: str, generated: str, n: int = 2) -> tuple[list[Span], list[Span]]:
    """Where the two texts share a phrase of n or more words: (spans in original, spans in
    generated), as sorted, non-overlapping (start, end) character offsets into each text.

    Words are compared lower-cased and without punctuation ("Cat, sat" matches "cat sat"). Every
    shared n-word sequence is marked in both texts and overlapping marks are merged, so a shared
    phrase of any length >= n comes out as one span.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    ow, ospans = word_spans(original)
    gw, gspans = word_spans(generated)
    common = _ngrams(ow, n) & _ngrams(gw, n)

    def marks(words, spans):
        return _merge([(spans[i][0], spans[i + n - 1][1])
                       for i in range(len(words) - n + 1) if tuple(words[i:i + n]) in common])

    return marks(ow, ospans), marks(gw, gspans)


def shared_phrases(original: str, generated: str, n_min: int = 2) -> list[str]:
    """The phrases of `generated` (n_min+ words) also found in `original`, as they read in the
    generated text, in order, without repeats (the text of each highlighted span)."""
    _, spans = phrase_spans(original, generated, n_min)
    seen, phrases = set(), []
    for s, e in spans:
        phrase = generated[s:e]
        key = " ".join(w.lower() for w in WORD.findall(phrase.translate(APOSTROPHES)))
        if key not in seen:
            seen.add(key)
            phrases.append(phrase)
    return phrases


def highlight_html(text: str, spans, title: str | None = None) -> str:
    """The text as HTML: every piece escaped, newlines kept (show it with white-space: pre-wrap),
    the spans wrapped in <mark class="lb-match">. Spans are clamped to the text and merged."""
    pieces, pos = [], 0
    attr = f' title="{html.escape(title, quote=True)}"' if title else ""
    clamped = [(max(0, int(s)), min(len(text), int(e))) for s, e in spans]
    for start, end in _merge([(s, e) for s, e in clamped if s < e]):
        pieces.append(html.escape(text[pos:start], quote=True))
        pieces.append(f'<mark class="lb-match"{attr}>{html.escape(text[start:end], quote=True)}</mark>')
        pos = end
    pieces.append(html.escape(text[pos:], quote=True))
    return "".join(pieces)
