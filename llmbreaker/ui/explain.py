"""The "What am I looking at?" paragraph of each page, written for a 15-year-old (issue 5.6).

Kept apart from the pages so the words can be read and edited in one place."""
from __future__ import annotations

EXPLAIN = {
    "watch": (
        "A **language model** is a program that guesses what comes next in a text. This one works one "
        "character at a time, and it starts knowing nothing: its guesses are random, so what it writes is "
        "gibberish. Each **training step** shows it a few lines of the text and nudges its ~30,000 numbers "
        "(its *weights*) so that the real next character becomes a little more likely. The **loss** measures "
        "how surprised the model is by the real next character: lower means better guesses. Watch the "
        "samples change: random letters first, then spaces in the right places, then short words, then "
        "lines that look like the text. **Blue** words are real words of the text. On the right, the bars "
        "are the model's top guesses for the next character after a fixed prompt: as it learns, one guess "
        "grows tall."
    ),
    "cinema": (
        "To guess the next character, the model looks back at the characters before it. Each **attention "
        "head** decides *how much* to look at each earlier character. In a heatmap, each **row** is one "
        "character of the probe text, and the squares in that row show where it looks: **dark blue** means "
        "a lot, **white** means not at all, and each row adds up to 1. Only the lower triangle is coloured "
        "because a character cannot see the ones after it. Before training, every head spreads its "
        "attention evenly, like a haze. As the model learns, heads specialise: one may always look at the "
        "character just before, another at the last space (the start of the current word). The notes under "
        "the grid say what each head learned, measured from these very pictures."
    ),
    "style": (
        "Paste some of your own writing and a **brand-new** model learns from that text alone: the same "
        "tiny GPT, starting from zero. From a few hundred words it cannot learn English, but it can pick up "
        "your favourite words, phrases, punctuation and rhythm. When it is done, its text appears beside "
        "yours: phrases of two or more words that appear in both are **highlighted** on both sides. The "
        "numbers say how many of its words are really your words, and the longest stretch it copied word "
        "for word, so you can see whether it learned your style or just repeated you."
    ),
    "inside": (
        "The model is nothing but numbers arranged in tables. This page counts them, part by part. The "
        "**token embedding** gives every character a list of numbers; the **attention heads** and the "
        "**feed-forward** layers mix those numbers; the same embedding table turns the result back into "
        "a score for every possible next character. Training changes the numbers, never the shape of the "
        "tables: a bigger model has more numbers to tune, so each step costs more time."
    ),
}
