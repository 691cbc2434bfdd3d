"""Style Transfer engine: text checks, style and confidence metrics, shared phrases, highlighting.
Every expected value is worked out by hand in the comment or the literal next to it."""
import math
import sys

import pytest

from llmbreaker.lessons.style import (USER_TEXT_LIMITS, avg_chosen_probability, avg_sentence_length, check_user_text,
                                      confidence_label, filter_text, formality, formality_label, highlight_html,
                                      is_reciting, perplexity, phrase_spans, shared_phrases, style_metrics, truncate,
                                      vocabulary_richness, formality_markers, real_words, real_vocabulary_richness,
                                      MIN_RICHNESS_WORDS)
from llmbreaker.engine.words import longest_copied_run, words_of


def test_style_module_imports_neither_torch_nor_streamlit():
    import subprocess
    code = "import sys, llmbreaker.lessons.style; print('torch' in sys.modules, 'streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# -- limits -------------------------------------------------------------------------------------

def test_limits_are_the_specs():
    assert (USER_TEXT_LIMITS.min_words, USER_TEXT_LIMITS.min_chars) == (50, 100)
    assert (USER_TEXT_LIMITS.max_chars, USER_TEXT_LIMITS.max_words) == (50_000, 10_000)
    assert USER_TEXT_LIMITS.recommended_words == 300


def test_49_words_is_too_short_and_says_the_counts():
    check = check_user_text(" ".join(["word"] * 49))  # 49 x 4 letters + 48 spaces = 244 characters
    assert (check.words, check.chars) == (49, 244)
    assert check.error.code == "text_too_short" and not check.ok
    assert "This text has 49 words and 244 characters; at least 50 words and 100 characters are needed." in check.error.message
    assert check.warning is None


def test_50_words_and_100_characters_is_enough_with_a_warning():
    check = check_user_text(" ".join(["word"] * 50))  # 249 characters
    assert check.ok and (check.words, check.chars, check.distinct_chars) == (50, 249, 5)
    assert check.warning.startswith("Results improve with more text") and "300+ words" in check.warning


def test_50_words_under_100_characters_is_too_short():
    check = check_user_text(" ".join(["a"] * 50))  # 99 characters
    assert check.chars == 99 and check.error.code == "text_too_short"
    assert "50 words and 99 characters" in check.error.message


def test_100_words_warns_and_300_words_does_not():
    assert "300+ words" in check_user_text(" ".join(["word"] * 100)).warning
    assert check_user_text(" ".join(["word"] * 300)).warning is None


def test_50001_characters_is_too_long_and_can_be_truncated():
    text = ("abcdefghi " * 5001)[:50_001]  # 5,001 words: only the character limit is hit
    check = check_user_text(text)
    assert check.chars == 50_001 and check.error.code == "text_too_long" and check.can_truncate
    assert "Max 50,000 characters" in check.error.message and "50,001 characters" in check.error.message
    assert "cut to fit" in check.error.message
    assert check_user_text(text[:50_000]).ok


def test_10001_short_words_is_too_long_by_the_word_limit():
    check = check_user_text(" ".join(["a"] * 10_001))  # 20,001 characters: under the character limit
    assert check.chars == 20_001 and check.error.code == "text_too_long" and "10,001 words" in check.error.message


def test_emoji_only_text_is_kept_and_too_short_by_words():
    check = check_user_text("😀 " * 200)
    assert check.removed == 0 and check.words == 200 and check.chars == 400 and "😀" in check.text


def test_every_visible_character_of_any_script_is_kept():
    for text in ("héllo 😀 wörld", "Αθήνα, καλημέρα", "Tiếng Việt có dấu", "我们周末去杭州", "Łódź naïve Ñandú",
                 "“Hi” – it’s fine… €5 × 2"):
        cleaned, removed = filter_text(text)
        assert (cleaned, removed) == (text, 0)


def test_filter_normalises_without_counting_and_drops_controls():
    assert filter_text("e\u0301") == ("é", 0)  # e + combining accent -> é (NFC)
    assert filter_text("a\r\nb\tc\u00a0d\u200be") == ("a\nb c de", 0)  # line ends, tab, nbsp, zero-width
    assert filter_text("a\x00b\x07c") == ("abc", 2)  # control characters are dropped and counted
    assert check_user_text("a\x00b " + "word " * 60).removed == 1


def test_truncate_cuts_at_a_sentence_end_inside_both_limits():
    sentence = "Considerable patience improves everything eventually. "  # 54 characters, 5 words
    text = sentence * 1000  # 54,000 characters
    cut = truncate(text)  # 925 whole sentences fit in 50,000 characters; the last space is dropped
    assert len(cut) <= 50_000 and cut.endswith("eventually.") and len(cut) == 925 * 54 - 1
    assert check_user_text(cut).ok and text.startswith(cut)
    # 8 words per 38 characters: the word limit (10,000 words = 1,250 sentences) comes first
    cut = truncate("This is a sentence of my own writing. " * 1400)
    assert len(cut) == 1250 * 38 - 1 and len(cut.split()) == 10_000 and check_user_text(cut).ok
    assert truncate("short text.") == "short text."


def test_truncate_by_words_and_without_sentence_ends():
    cut = truncate(" ".join(["a"] * 10_500))
    assert len(cut.split()) == 10_000 and check_user_text(cut).ok
    long_word_text = "x" * 49_998 + " yyyy zz"  # the limit falls inside "yyyy": it is left out
    assert truncate(long_word_text) == "x" * 49_998


# -- style metrics --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Furthermore, we shall proceed regarding the matter.", 80),  # 3 formal in 7 words: 50 + 30
    ("yeah gonna grab some stuff lol", 10),  # 4 informal: 50 - 40
    ("I don't think it's fine", 30),  # two contractions: 50 - 20
    ("The cat sat on the mat.", 50),  # neither
    ("hence thus indeed " * 5, 100),  # 15 formal: 50 + 150, clamped
    ("lol " * 20, 0),  # clamped at 0
    ("", 50),
])
def test_formality_on_small_texts(text, expected):
    assert formality(text) == expected


def test_formality_is_per_100_words_for_longer_texts():
    text = " ".join(["moreover"] + ["cat"] * 198 + ["therefore"])  # 2 formal in 200 words
    assert formality(text) == 60  # 50 + 2 x 10 x 100 / 200
    assert formality(" ".join([text] * 5)) == 60  # same rate, same score, however long
    assert formality_label(60) == "Medium" and formality_label(85) == "High" and formality_label(20) == "Low"


@pytest.mark.parametrize("text, expected", [
    ("I like cats. They are nice! Do you?", 8 / 3),  # 3 + 3 + 2 words in 3 sentences
    ("one two three\n\nfour five", 2.5),  # a blank line ends a sentence
    ("one two\nthree.", 3.0),  # a single newline does not
    ("Wait... what?!", 1.0),  # runs of . ! ? are one end; empty pieces ignored
    ("...", 0.0),
    ("", 0.0),
])
def test_avg_sentence_length(text, expected):
    assert avg_sentence_length(text) == pytest.approx(expected)


def test_vocabulary_richness():
    assert vocabulary_richness("The cat and the hat.") == pytest.approx(4 / 5)
    assert vocabulary_richness("Don't, don't DON'T stop!") == pytest.approx(2 / 4)
    assert vocabulary_richness("") == 0.0
    assert words_of("Café’s “best” Q2-plan") == ["café's", "best", "q2", "plan"]


def test_style_metrics_bundle():
    m = style_metrics("Furthermore, we shall proceed regarding the matter. It is done.")
    assert m == {"formality": 50 + round(3 * 10 * 100 / 100), "formality_label": "High",
                 "avg_sentence_length": pytest.approx(10 / 2), "vocabulary_richness": pytest.approx(1.0),
                 "words": 10, "real_words": 10}


# -- confidence -----------------------------------------------------------------------------------

def test_avg_chosen_probability():
    assert avg_chosen_probability([0.62, 0.41, 0.78]) == pytest.approx(1.81 / 3)
    assert avg_chosen_probability([]) == 0.0


def test_perplexity_is_exp_of_loss():
    assert perplexity(0.0) == 1.0
    assert perplexity(2.0) == pytest.approx(7.389056)
    assert perplexity(math.log(12.3)) == pytest.approx(12.3)
    assert perplexity(1000.0) == math.inf and perplexity(float("nan")) == math.inf


@pytest.mark.parametrize("prob, ppl, label", [
    (0.7, 30.0, "unsure"),  # sure of its own picks, but worse than letter frequencies on new text (docs/design.md §Honesty)
    (0.7, 15.0, "very confident"),  # the label is about its own picks...
    (0.6, 5.0, "very confident"),  # thresholds are inclusive
    (0.45, 3.0, "fairly confident"),  # ...whatever the perplexity
    (0.4, None, "fairly confident"),
    (0.3, 4.0, "unsure"),
    (0.2, 20.0, "unsure"),
    (0.1, 3.0, "guessing"),
    (None, 4.0, "very confident"),  # no generation yet: from the perplexity
    (None, 5.0, "very confident"),
    (None, 8.0, "fairly confident"),
    (None, 20.0, "unsure"),
    (None, 60.0, "guessing"),
    (None, math.inf, "guessing"),
    (None, None, "guessing"),
])
def test_confidence_label(prob, ppl, label):
    assert confidence_label(prob, ppl) == label


def test_is_reciting():
    assert is_reciting(0.95, 400.0)  # memorised: sure of itself, lost on unseen text
    assert is_reciting(0.6, 20.5)
    assert not is_reciting(0.6, 20.0) and not is_reciting(0.47, 8.4) and not is_reciting(0.3, 60.0)


# -- shared phrases -------------------------------------------------------------------------------

def test_phrase_spans_mark_the_shared_phrase_in_both_texts():
    original, generated = "the cat sat on the mat", "a cat sat on a hat"
    in_orig, in_gen = phrase_spans(original, generated, n=2)
    assert in_orig == [(4, 14)] and in_gen == [(2, 12)]
    assert original[4:14] == generated[2:12] == "cat sat on"
    assert phrase_spans(original, generated, n=3) == ([(4, 14)], [(2, 12)])
    assert phrase_spans(original, generated, n=4) == ([], [])
    assert shared_phrases(original, generated) == ["cat sat on"]


def test_phrase_matching_ignores_case_and_punctuation():
    original, generated = "The Cat, sat on it.", "cat sat!"
    in_orig, in_gen = phrase_spans(original, generated)
    assert [original[s:e] for s, e in in_orig] == ["Cat, sat"]
    assert [generated[s:e] for s, e in in_gen] == ["cat sat"]


def test_several_phrases_and_repeats():
    original = "I love green tea and I hate cold coffee"
    generated = "we hate cold rain but love green tea, love green tea"
    in_orig, in_gen = phrase_spans(original, generated)
    assert [original[s:e] for s, e in in_orig] == ["love green tea", "hate cold"]
    assert [generated[s:e] for s, e in in_gen] == ["hate cold", "love green tea", "love green tea"]
    assert shared_phrases(original, generated) == ["hate cold", "love green tea"]


def test_longest_copied_run():
    assert longest_copied_run("a cat sat on a hat", "the cat sat on the mat") == ("cat sat on", 3)
    assert longest_copied_run("Cat sat, on the mat today", "the cat sat on the mat") == ("Cat sat, on the mat", 5)
    assert longest_copied_run("the cat xx sat on", "the cat sat on") == ("the cat", 2)  # earliest of a tie
    assert longest_copied_run("zz yy", "the cat") == ("", 0)
    assert longest_copied_run("", "the cat") == ("", 0)
    # a long original: the run must be consecutive in the original too
    original = " ".join(f"w{i}" for i in range(5000))
    assert longest_copied_run("w10 w11 w12 w99 w13 w14", original) == ("w10 w11 w12", 3)


# -- HTML -----------------------------------------------------------------------------------------

def test_highlight_html_escapes_everything():
    text = "<script>alert(1)</script> & cat sat\n<img src=x onerror=alert(1)> \"q\""
    s = text.index("cat")
    out = highlight_html(text, [(s, s + 7)])
    assert out == ('&lt;script&gt;alert(1)&lt;/script&gt; &amp; <mark class="lb-match">cat sat</mark>\n'
                   '&lt;img src=x onerror=alert(1)&gt; &quot;q&quot;')
    img = text.index("<img")
    marked = highlight_html(text, [(img, img + 28)])
    assert '<mark class="lb-match">&lt;img src=x onerror=alert(1)&gt;</mark>' in marked
    assert "<script" not in marked and "<img" not in marked


def test_highlight_html_merges_and_clamps_spans():
    assert highlight_html("abcdef", [(3, 5), (1, 4), (-5, 0), (5, 99)]) == 'a<mark class="lb-match">bcdef</mark>'
    assert highlight_html("a<b", []) == "a&lt;b"
    assert highlight_html("ab", [(0, 1)], title='x"y') == '<mark class="lb-match" title="x&quot;y">a</mark>b'


def test_spans_fit_texts_with_curly_apostrophes():
    original, generated = "It’s my cat’s hat.", "it's my cat's dog"
    in_orig, in_gen = phrase_spans(original, generated)
    assert [original[s:e] for s, e in in_orig] == ["It’s my cat’s"]
    assert highlight_html(generated, in_gen) == '<mark class="lb-match">it&#x27;s my cat&#x27;s</mark> dog'


@pytest.mark.parametrize("text", [
    "x" * 60_000,  # no space at all in the first 50,000 characters (docs/design.md §Limits)
    "   " + "y" * 60_000,
    "hi " + "z" * 60_000,
    "\n\n" + "w" * 55_000 + " end.",
])
def test_a_cut_never_empties_the_text_and_keeps_its_start(text):
    cut = truncate(text)
    assert 25_000 <= len(cut) <= 50_000 and text.startswith(cut)
    assert check_user_text(cut).error is None or check_user_text(cut).error.code != "text_too_long"


def test_a_text_with_more_characters_than_a_model_can_learn_is_refused_with_the_counts():
    """With a base model's vocabulary (`known`), the person's new characters count on top of it."""
    from llmbreaker.engine.corpus import MAX_VOCAB
    base = [chr(c) for c in range(32, 127)]
    text = " ".join(["word"] * 60) + " " + "".join(chr(0xC0 + i % 64) for i in range(200))
    assert getattr(check_user_text(text, known=base).error, "code", None) != "too_many_characters"
    many = [chr(0x3000 + i) for i in range(MAX_VOCAB)]
    check = check_user_text(text, known=base + many)
    assert check.error.code == "too_many_characters" and f"at most {MAX_VOCAB:,}" in check.error.message


# -- honest style metrics (docs/design.md §Honesty) ------------------------------------------------

def test_the_label_never_says_confident_beside_a_perplexity_no_better_than_guessing():
    alphabet = 40  # distinct characters of the person's text: guessing evenly among them is perplexity 40
    for prob in (0.99, 0.8, 0.6, 0.45):
        assert confidence_label(prob, 40.0, alphabet) == "guessing"
        assert confidence_label(prob, 120.0, alphabet) == "guessing"
        assert confidence_label(prob, math.inf, alphabet) == "guessing"
        assert "confident" not in confidence_label(prob, 39.0, alphabet)  # worse than letter frequencies
    assert confidence_label(0.99, 4.0, alphabet) == "very confident"  # sure, and it predicts new text well
    assert confidence_label(None, 45.0, alphabet) == "guessing"


def test_formality_without_a_marker_word_has_no_signal():
    plain = "The river ran past the old mill and the children watched the boats go by in the sun."
    assert formality_markers(plain) == (0, 0)
    m = style_metrics(plain)
    assert m["formality"] is None and m["formality_label"] == "no signal"
    m = style_metrics("Furthermore the river ran past the mill.")
    assert m["formality"] == 60 and m["formality_label"] == "Medium"


def _garble(text: str, every: int = 2) -> str:
    """Every `every`-th word misspelt (two letters swapped, one doubled), as a model's early samples are."""
    out = []
    for i, w in enumerate(text.split()):
        if i % every == 0 and len(w) > 3:
            w = w[1] + w[0] + w[2:] + w[-1]
        out.append(w)
    return " ".join(out)


def test_garbled_text_is_not_richer_than_its_author_and_too_few_real_words_say_so():
    author = ("We walked down to the harbour after lunch and watched the boats come in. The fishermen were "
              "tired but happy, and the gulls followed them all the way to the quay. My sister bought a bag "
              "of chips and we sat on the wall to eat them while the sun went down behind the hill. ") * 2
    known = set(words_of(author))
    garbled = _garble(author)
    assert vocabulary_richness(garbled) > vocabulary_richness(author)  # the old measure: misspellings look rich
    n = min(len(real_words(author, known)), len(real_words(garbled, known)))
    ours, theirs = real_vocabulary_richness(author, known, n), real_vocabulary_richness(garbled, known, n)
    assert ours is not None and theirs is not None and theirs <= ours + 0.05
    nonsense = _garble(_garble(author, 1), 1)[:200]
    assert real_vocabulary_richness(nonsense, known) is None  # "not enough real words"
    assert len(real_words(nonsense, known)) < MIN_RICHNESS_WORDS
