"""The "What am I looking at?" paragraph of each page, written for a 15-year-old (docs/design.md §Help).

Kept apart from the pages so the words can be read and edited in one place. A model's size is not
written here: `explain(page)` fills it in from llmbreaker/lessons/our_model.py, so the paragraph counts the
numbers of the very model the page trains (docs/design.md §Consistency: it said ~30,000 beside a 58,048-number
model on Watch)."""
from __future__ import annotations

from llmbreaker.engine.presets import default_model_size
from llmbreaker.lessons import our_model

EXPLAIN = {
    "watch": (
        "A **language model** is a program that guesses what comes next in a text. This one works one "
        "character at a time, and it starts knowing nothing: its guesses are random, so what it writes is "
        "gibberish. Each **training step** shows it a few lines of the text and nudges its {watch_params} numbers "
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
    "journey": (
        "A language model is built in stages, like a metro line: a **text** to learn from, **tokens** (each "
        "character turned into a number), the **model** ({journey_params} numbers arranged in layers), "
        "**training** (guess the next character, measure the mistake, nudge the numbers), **evaluation** "
        "(test it on text it never saw) and **generation** (let it write). Each station links to the page that "
        "shows it. New here? Start at *Training*: press Play on Watch It Learn to Spell and see a model learn in "
        "25 seconds. Then come back and look inside it: every other page uses the model you just trained."
    ),
    "tokens": (
        "A computer cannot read letters, only numbers. So before training, every different character of the "
        "text gets a number, its **token id**: the list of them is the model's **vocabulary**. Typing a word "
        "turns it into ids; the ids turn back into the same word. The text is then cut in two: the model "
        "trains on the first 90 % and is tested on the last 10 %, which it never sees while learning. A "
        "**training batch** is a few windows of text: at every position the model sees the characters so far "
        "(input) and must guess the next one (target). That is all it ever learns to do."
    ),
    "microscope": (
        "Here you open one layer of the real model and watch what it does to a few characters you type. Each "
        "character starts as a list of numbers (its **embedding**). In **attention**, each character makes a "
        "*query* (what am I looking for?), a *key* (what do I have?) and a *value* (what do I pass on?). "
        "Matching queries with keys gives **scores**; characters may not look ahead (the **mask**); "
        "**softmax** turns scores into shares that add up to 1; each character then takes that mix of values. "
        "The **feed-forward** layer works on each character alone: spread out, cut negatives (**ReLU**), "
        "squeeze back. Blue is negative, orange positive. Every number is the model's own."
    ),
    "follow": (
        "This is the story of one character's trip through the model, told in chapters. It becomes an id, then "
        "a list of numbers; in each layer it looks back at earlier characters (attention) and gets updated; "
        "at the end its numbers become a score for every possible next character, and the scores become "
        "probabilities. Step through with Next and Previous, or press Play. In the last chapter, pick a "
        "different next character than the model's favourite and see how the rest of the text changes: every "
        "choice sends the model down another branch."
    ),
    "sampling": (
        "The model never writes a fixed answer: it gives a **probability** to every possible next character, "
        "and one is drawn at random, like a loaded die. **Temperature** changes how loaded: low makes the "
        "favourite almost certain (safe, repetitive text), high makes every character more equal (wild "
        "text). **Top-k** keeps only the k most likely characters; **top-p** keeps the most likely ones until "
        "their chances add up to p. Grey bars are the characters that can no longer be picked. Generate a few "
        "texts with the same settings and compare them."
    ),
    "compare": (
        "The chatbots you hear about are built like our tiny model, only far bigger: GPT-3 has 175 billion "
        "numbers where ours has 29 thousand. Pick two or three models and this page sets their published "
        "blueprints side by side: how many layers, how wide, how many attention heads. The charts show where "
        "their numbers live, how much memory each conversation needs for its **KV cache** (the model's notes on "
        "every word it has read so far) and how much arithmetic each new word costs. The KV-cache chart answers "
        "a real design question: LLaMA shares each key and value between several attention heads (**GQA**) so "
        "that the notes take 8 times less memory and a computer can serve more people at once. GPT-4, Claude "
        "and Gemini are listed too, but their makers have not published their blueprints, so no numbers are shown."
    ),
    "rope": (
        "A model reads all the words of a text at once, so it needs another way to know their order. Modern "
        "models use **RoPE**: they split each attention vector into pairs of numbers and turn every pair like "
        "the hand of a clock, by an angle that grows with the word's position. Some hands spin fast and some "
        "crawl, like the second, minute and hour hands of a real clock, so every position gets its own mix of "
        "angles. Move the position slider and watch them turn. The trick: when the model compares two words, "
        "only the *difference* of their angles matters, so it sees how far apart the words are, not where they "
        "are. The last section shows what goes wrong when a text is longer than anything the model trained "
        "on, and two ways people stretch the clock to fix it."
    ),
    "scaling": (
        "Training a model costs computer time, and you can spend it on a **bigger model** or on **more text** "
        "for it to read. In 2022 researchers at DeepMind trained hundreds of models and found a formula that "
        "predicts how good (how low the loss) a model will be from just two numbers: its size N and the "
        "amount of text D. Move the sliders to pick a model and see its predicted loss and the computing work, "
        "about 6 x N x D operations. The grey curve is the best you can do for each amount of compute. Real "
        "models are placed on it: some read far more text than the formula says is best, because a smaller "
        "model that read more is cheaper to use afterwards."
    ),
    "lab": (
        "A transformer is built from parts: **embeddings** that turn characters into numbers and say where each "
        "one stands, **attention** that lets a character look at earlier ones, **feed-forward** layers that "
        "think about what was seen, and helpers like **LayerNorm** and **residual connections** that keep "
        "learning steady. Here you can switch a part off, or swap it for a modern one, and train the result "
        "next to the original. Every run uses the same text and the same random start, so when two curves part, "
        "the part you changed is the reason. **Lower loss** means better guesses of the next character; the "
        "samples show what that means in words."
    ),
    "moe": (
        "Big modern models like Mixtral and DeepSeek-V3 do not send every word through the same "
        "feed-forward network. Each block has a team of **experts** (several smaller networks) and a "
        "**router** that decides, for every character, which expert or two should handle it. So the model "
        "can hold many more numbers (**total parameters**) while each character only uses a few of them "
        "(**active parameters**). The catch: a router left alone tends to pick favourites, and experts "
        "that never get work never learn. The **balancing loss** is a small extra penalty when the work is "
        "uneven. Here the coloured text shows which expert read each character, and the charts show how "
        "the shares change as the model trains, with the balancing loss on or off."
    ),
    "runs": (
        "Every time you press Play on a page that keeps its runs, the run is saved on this server as it trains: "
        "the text it read, its settings, the loss curve, what it wrote at every checkpoint, where it looked, and "
        "the trained model when it ends. This page lists the runs this browser started, newest first. Open one "
        "and it comes back exactly as it was, ready to replay; give it a name so you find it again; download it "
        "as one file to keep it, send it to a friend or bring it to another computer, and import that file here. "
        "A run's address is like a key: anyone who has it can watch the run, but nobody else sees this list."
    ),
}


def explain(page: str) -> str:
    """The page's paragraph with its model's size filled in: Watch's default model, and the journey's
    bundled one (the Small model on Shakespeare)."""
    text = EXPLAIN[page]
    if "{watch_params}" in text:
        text = text.replace("{watch_params}", our_model.about(our_model.parameters(default_model_size("watch"))))
    if "{journey_params}" in text:
        text = text.replace("{journey_params}", our_model.about(our_model.parameters(our_model.SIZE)))
    return text
