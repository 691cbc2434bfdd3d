"""The Style page's text: a draft that recites the person's text is drawn again."""
from llmbreaker.engine.corpus import CharTokenizer
from llmbreaker.lessons.style import longest_copied_run
from llmbreaker.lessons.style_generation import generate_new_text

ORIGINAL = ("Thanks everyone for the quick turnaround on the Heronsgate release notes, "
            "the dashboards look great and the rollback plan is clear to all of us now.")


class Reciter:
    """Writes the original word for word on its first draws, new words after."""

    def __init__(self, tokenizer, recitals: int):
        self.tok, self.recitals, self.calls = tokenizer, recitals, 0

    def generate(self, idx, n, temperature, generator=None):
        self.calls += 1
        text = ORIGINAL if self.calls <= self.recitals else "the dashboards look lovely and the notes are quick"
        return self.tok.encode(text[:n]), [0.5] * min(n, len(text))


def test_a_recital_is_drawn_again_until_a_draft_copies_at_most_ten_words():
    tok = CharTokenizer.from_text(ORIGINAL + " lovely")
    model = Reciter(tok, recitals=2)
    text, probs, drafts = generate_new_text(model, tok, "", 0.8, 400, seed=1, original=ORIGINAL)
    assert drafts == 3 and model.calls == 3
    assert longest_copied_run(text, ORIGINAL)[1] <= 10 and "lovely" in text


def test_when_every_draft_recites_the_one_copying_least_is_shown_and_without_an_original_one_draft():
    tok = CharTokenizer.from_text(ORIGINAL + " lovely")
    model = Reciter(tok, recitals=99)
    text, _, drafts = generate_new_text(model, tok, "", 0.8, 400, seed=1, original=ORIGINAL, drafts=3)
    assert drafts == 1 and model.calls == 3 and text.endswith(ORIGINAL)  # all equal: the first is kept
    model = Reciter(tok, recitals=99)
    _, _, drafts = generate_new_text(model, tok, "", 0.8, 400, seed=1, original="")
    assert drafts == 1 and model.calls == 1
