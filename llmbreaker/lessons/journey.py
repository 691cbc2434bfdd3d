"""The learning journey (docs/design.md §Journey): which model the journey pages look at, the stations of the
journey map, the three learning paths, and the check-yourself questions.

Every number on the journey pages comes from a real model: the one the person trained last in
this browser tab, or, before they have trained any, the default model bundled in the repo
(`tools/train_default_model.py`: the engine's defaults on Shakespeare). No streamlit here.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Iterable

from llmbreaker.engine.corpus import DATASETS_DIR, bundled_text
from llmbreaker.engine.presets import NEXT_TOKEN_PROMPTS
from llmbreaker.lessons import our_model

DEFAULT_MODEL_FILE = DATASETS_DIR / "models" / "shakespeare-small.lbmodel"
DEFAULT_KEY = "default"
DEFAULT_LABEL = "Default model · Shakespeare · step 2,200"
DEFAULT_DATASET = "shakespeare"
DEFAULT_PROMPT = NEXT_TOKEN_PROMPTS[DEFAULT_DATASET]  # the Watch page's, for the model trained on it

# The training pages, as the model selector names them.
PAGE_SHORT = {"watch": "Watch", "cinema": "Cinema", "style": "Style", "style_scratch": "Style from scratch", "lab": "Lab",
              "moe": "MoE", "scaling": "Scaling"}


@dataclass(frozen=True)
class ModelSource:
    """One model the journey can look at, and the text it was trained on."""
    key: str  # "default", or "<session id>:<run id>"
    label: str  # "Watch · Shakespeare · step 2,200"
    data: bytes  # a file from model_io.save_model
    text: str  # the training text (for the data and tokens page)
    text_label: str  # "Shakespeare", "your text", ...
    prompt: str  # a prompt that suits the text
    is_default: bool = False


def default_source() -> ModelSource:
    return ModelSource(DEFAULT_KEY, DEFAULT_LABEL, DEFAULT_MODEL_FILE.read_bytes(),
                       bundled_text(DEFAULT_DATASET), "Shakespeare", DEFAULT_PROMPT, is_default=True)


BASE_KEY = "english-base"
BASE_PROMPT = "Hi everyone,\nThanks for coming to the meeting on Thurs"


@functools.lru_cache(maxsize=1)
def _modern_text() -> str:
    return "\n\n".join(p.read_text(encoding="utf-8").strip()
                       for p in sorted((DATASETS_DIR / "pretrain").glob("*.txt")))


def english_base_source() -> ModelSource | None:
    """The Style page's pretrained base (base_model.py), if it is installed: it reads modern
    English, so its guesses on an everyday prompt are worth looking at. Its text, for the tokens
    page, is the modern English it read."""
    from llmbreaker.engine.base_model import BASE_MODEL_FILE, card

    if not BASE_MODEL_FILE.is_file():
        return None
    read = card().get("corpus_characters", 0) / 1e6
    return ModelSource(BASE_KEY, f"Pretrained English base · {read:.1f} M characters read", BASE_MODEL_FILE.read_bytes(),
                       _modern_text(), "modern English (part of what the base read)", BASE_PROMPT, is_default=True)


def trained_sources(sessions: Iterable) -> list[ModelSource]:
    """The finished runs among a browser tab's training sessions, newest first. A run that is still
    going, or was stopped, has no final model yet and is left out."""
    found = []
    for s in sessions:
        current = s.snapshot()  # events not yet drained by a page count too
        # A queue of runs (the Lab's comparisons) keeps its earlier runs in `finished`.
        for h in [*getattr(s, "finished", []), current]:
            request = getattr(h, "request", None) or s.request
            if request is None or not h.model_file:
                continue
            page = PAGE_SHORT.get(s.page, s.page.title())
            step = h.best_step if h.best_step is not None and h.best_step != h.step else h.step
            label = f"{page} · {request.label or 'your text'} · step {step:,}"
            prompt = h.next_prompt or request.text[:24]
            found.append((h.run_id, ModelSource(f"{s.id}:{h.run_id}", label, h.model_file, request.text,
                                                request.label or "your text", prompt)))
    found.sort(key=lambda pair: -pair[0])
    labels = [src.label for _, src in found]
    return [replace(src, label=f"{src.label} · run {run_id}") if labels.count(src.label) > 1 else src
            for run_id, src in found]


def model_sources(sessions: Iterable) -> list[ModelSource]:
    """What the selector offers: the tab's trained models, newest first, else the default one;
    then the pretrained English base."""
    base = english_base_source()
    return (trained_sources(sessions) or [default_source()]) + ([base] if base else [])


# -- the journey map ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Station:
    key: str
    title: str
    summary: str  # one line under the station
    preview: str  # what the hover shows
    pages: tuple[str, ...]  # our pages that show this station, best first


STATIONS = (
    Station("data", "Data", "A text to learn from: Shakespeare, poems, stories or yours.",
            "Shakespeare is a million characters of plays; your own text may be a few hundred words. "
            "The model will only ever know what is in its text.",
            ("tokens",)),
    Station("tokens", "Tokens", "Each character becomes a number, its token id.",
            "'In Shakespeare's vocabulary 'h' is 44 and a space is 1: the model never sees letters, only ids.",
            ("tokens",)),
    Station("model", "Model", "Embeddings, attention and feed-forward layers: "
            f"{our_model.about(our_model.parameters())} numbers.",
            "Follow one character through every layer, or open the microscope on one attention head.",
            ("microscope", "follow", "inside")),
    Station("training", "Training", "Guess the next character, measure the error, nudge the numbers.",
            "Press Play: in 25 seconds the loss falls and gibberish turns into words.",
            ("watch", "cinema")),
    Station("evaluation", "Evaluation", "Loss on text it never trained on says whether it learned or memorised.",
            "The pink validation curve on the Watch page: text held out from training.",
            ("watch", "style")),
    Station("generation", "Generation", "Pick a next character, add it, repeat: new text.",
            "Temperature, top-k and top-p decide how bold each pick is.",
            ("sampling", "follow", "style")),
)
FIRST_STATION = "training"  # where a first-time visitor starts: press Play and watch it learn

# The levels doc's three learning paths, as ordered lists of our pages: (page, why), in order.
PATHS = {
    "Beginner · 30 min": (
        ("watch", "Press Play and watch a model learn to spell"),
        ("tokens", "See how text becomes numbers"),
        ("follow", "Follow one character to the next one's probability"),
        ("sampling", "Make it write, boldly or carefully"),
    ),
    "Intermediate · 1–2 h": (
        ("watch", "Train it; click checkpoints on the loss curve"),
        ("cinema", "Watch attention heads find patterns"),
        ("tokens", "Vocabulary, split and one training batch"),
        ("microscope", "Q, K, V and softmax, number by number"),
        ("follow", "Every layer for one character, and branching"),
        ("sampling", "Temperature, top-k and top-p"),
    ),
    "Advanced · 4 h+": (
        ("inside", "Count every weight of each model size"),
        ("microscope", "Every layer and head; check the equations"),
        ("cinema", "Train the Deeper model: more heads to compare"),
        ("watch", "Change learning rate, steps and size; compare losses"),
        ("style", "Train on your own writing; spot memorising"),
        ("sampling", "Generate from your own model"),
    ),
}


# -- check yourself ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    text: str
    options: tuple[str, ...]
    answer: int  # index into options
    reason: str


QUIZZES = {
    "microscope": (
        Question("Why is everything above the diagonal of the attention matrix empty?",
                 ("The model ran out of memory", "A character may not look at characters after it",
                  "Those scores were all exactly zero"),
                 1, "The causal mask sets those scores to minus infinity before softmax, so their weight is "
                    "0: when the model guesses the next character it must not peek at the answer."),
        Question("What does softmax do to one row of scores?",
                 ("Turns it into weights that are all positive and add up to 1",
                  "Keeps only the largest score", "Sorts the scores"),
                 0, "softmax(s)ᵢ = exp(sᵢ) / Σ exp(sⱼ): every weight is positive and the row sums to 1, so "
                    "the result is a weighted average of the V rows."),
        Question("Why are the scores divided by √d (d = head size)?",
                 ("To make the model smaller", "So scores do not grow with the head size and softmax stays soft",
                  "To turn them into probabilities"),
                 1, "A dot product of d numbers grows with d; dividing by √d keeps its size steady, so softmax "
                    "does not put all weight on one character too early in training."),
        Question("After the feed-forward layer, the result is added to its input (the residual). What does that give?",
                 ("A vector twice as long", "The input plus a correction, so each layer only adds what it learned",
                  "The average of the input and output"),
                 1, "x + FFN(LN(x)) keeps the same size (the model width) and lets each layer add a small "
                    "change instead of rebuilding the vector."),
    ),
    "follow": (
        Question("What does the model see first when you type 'the'?",
                 ("The word 'the'", "Three token ids, one per character", "A picture of the letters"),
                 1, "A character-level tokenizer turns each character into its id; the model only ever sees ids."),
        Question("Where does the model's knowledge of *where* a character stands come from?",
                 ("The position embedding added to the token embedding", "The character's id",
                  "The order of the layers"),
                 0, "Attention alone does not know order; the learned position embedding (one row per place) "
                    "is added to the token's row."),
        Question("The logits are turned into probabilities. Which next character is then written?",
                 ("Always the most likely one", "One drawn at random with those probabilities",
                  "The one with the largest id"),
                 1, "Generation samples: likely characters are picked more often, but not always, which is why "
                    "two runs write different text (temperature changes how bold the draw is)."),
        Question("Which character's vector is used to guess the next character of the prompt?",
                 ("The first character's", "The last character's, after all the layers",
                  "The average of all of them"),
                 1, "Each position predicts the character after it; for the continuation, the last position's "
                    "final vector goes through the last LayerNorm and the output head."),
    ),
}


def check_answer(question: Question, picked: str | None) -> bool | None:
    """True / False for a picked option, None when nothing is picked yet."""
    if picked is None:
        return None
    return question.options.index(picked) == question.answer


# -- where a text came from ------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def shakespeare_cleaning() -> dict:
    """What turning the plays' Markdown into Tiny Shakespeare form did, measured on the plays:
    {"plays", "raw": characters of the Markdown, "raw_vocab": its distinct characters,
     "crlf": Windows line endings in it, "after": characters kept, "after_vocab",
     "removed_chars": [(char, count), ...] characters of the Markdown that are gone, most frequent first}."""
    from collections import Counter

    from llmbreaker.engine.shakespeare import PLAYS, plays_folder
    folder = plays_folder()
    raw = "".join((folder / name).read_text(encoding="utf-8") for name in PLAYS)
    text = bundled_text("shakespeare")
    raw_counts, kept = Counter(raw), set(text)
    removed = sorted(((c, n) for c, n in raw_counts.items() if c not in kept), key=lambda p: -p[1])
    return {"plays": len(PLAYS), "raw": len(raw), "raw_vocab": len(raw_counts), "crlf": raw.count("\r\n"),
            "after": len(text), "after_vocab": len(kept), "removed_chars": removed}
