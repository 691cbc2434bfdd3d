"""The one word rule (llmbreaker/engine/words.py) that the Watch page's marks, the Lab's share, the Style
page's measures and the trainer's choice of a Style checkpoint all count with."""
from llmbreaker.engine.words import is_real_word, mark_words, real_word_share, word_set

WORDS = frozenset({"the", "cat", "sat", "king's"})


def test_word_set_is_lower_case_words():
    assert word_set("The cat's HAT, the end.") == {"the", "cat's", "hat", "end"}
    # Curly apostrophes read as straight ones; letters of any script and digits stay in their word.
    assert word_set("Don’t go to Café Αθήνα at 10pm") == {"don't", "go", "to", "café", "αθήνα", "at", "10pm"}


def test_real_words_are_marked_and_the_rest_is_not():
    runs = mark_words("the cqt sat, king's", WORDS)
    assert [(p, w) for p, w in runs if w is not None] == [("the", True), ("cqt", False), ("sat", True), ("king's", True)]
    assert "".join(p for p, _ in runs) == "the cqt sat, king's"
    assert [p for p, w in runs if w is None] == [" ", " ", ", "]
    assert real_word_share("the cqt sat zzz", WORDS) == 0.5
    assert real_word_share("... !!", WORDS) == 0.0 and real_word_share("", WORDS) == 0.0
    assert real_word_share("The CAT", WORDS) == 1.0


def test_a_sample_counts_the_words_the_text_has_as_the_text_writes_them():
    """The Watch page once marked words with ASCII letters only: "café" was "caf" + "é" and
    "king’s" three pieces, so a sample writing the text's own words counted them as misspelt."""
    words = word_set("Café society: the king’s men.")
    runs = mark_words("café king’s men", words)
    assert [(p, w) for p, w in runs if w is not None] == [("café", True), ("king’s", True), ("men", True)]
    assert real_word_share("café king’s men", words) == 1.0


def test_lone_ascii_letters_are_noise_unless_a_i_or_o():
    words = word_set("kill'd a d i o x 7 ο")
    assert {"d", "x", "7", "a", "i", "o", "ο"} <= words
    assert [is_real_word(w, words) for w in ("a", "I", "o", "d", "x", "7", "ο")] == [True] * 3 + [False] * 3 + [True]
    assert real_word_share("a d x i", words) == 0.5
