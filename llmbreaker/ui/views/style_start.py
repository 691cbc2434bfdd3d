"""The Style page's start: fine-tune the pretrained base (the default) or train from nothing, and the
one-click lesson that trains both for the same seconds and shows them side by side."""
from __future__ import annotations

import html

import streamlit as st

from llmbreaker.charts.training import author_words_chart
from llmbreaker.engine import base_model
from llmbreaker.engine.session import State, TrainingRequest, TrainingSession
from llmbreaker.lessons import style
from llmbreaker.lessons.style_recipes import STYLE_SECONDS, base_corpus_words, recipe
from llmbreaker.ui.shell import font_scale, get_manager

FINETUNE, SCRATCH = "finetune", "scratch"
RUN_NAMES = {FINETUNE: "Fine-tuned from the base model", SCRATCH: "From scratch"}


def millions(n: int) -> str:
    return f"{n / 1e6:.1f} million" if n >= 1e6 else f"{n:,}"


def start_choice(page: str) -> str:
    """'Start from' radio; fine-tuning is the default where the base model file is there."""
    if not base_model.available():
        st.caption("The pretrained base model is missing from this installation (datasets/models/): "
                   "training starts from scratch.")
        return SCRATCH
    read = millions(base_model.card().get("corpus_characters", 0))
    options = {FINETUNE: f"a model that has already read {read} characters of English (fine-tune)",
               SCRATCH: "nothing (train from scratch)"}
    choice = st.radio("Start from", list(options), format_func=options.get, key=f"{page}_start",
                      help="Fine-tuning starts from a model that already spells English, so a few seconds teach it "
                           "your words. From scratch it must learn every letter from your text alone.")
    return choice or FINETUNE


def explain_finetuning() -> None:
    """What fine-tuning is, in plain words, and the base model's card."""
    card = base_model.card()
    with st.expander("What is fine-tuning? And what did the base model read?", icon=":material/school:"):
        st.markdown(
            "Big language models are made in two steps. **Pretraining**: a model reads a huge amount of text "
            "and learns the language itself: spelling, grammar, which words go together. That is the *P* in "
            "GPT (Generative **Pretrained** Transformer). **Fine-tuning**: the pretrained model then trains a "
            "little more on a small text of one kind, and picks up its names, topics and phrases in a few "
            "steps, because it does not have to learn English again.\n\n"
            "Here the base model is tiny and read only a few million characters, but the idea is the same. "
            "Fine-tuning takes about 20 seconds on your words; from scratch, the same seconds are spent "
            "learning which letters follow which. Press **Compare** to watch both.")
        if card:
            rows = "".join(
                f"<tr><td>{html.escape(s['name'])}</td><td style='text-align:right'>{s['characters']:,}</td>"
                f"<td style='text-align:right'>{s['share_of_batches']:.0%}</td><td>{html.escape(s['what'])}</td></tr>"
                for s in card.get("sources", []))
            cfg = card.get("config", {})
            val = card.get("validation_loss", {})
            st.markdown(
                f"**The base model** · {card.get('parameters', 0):,} parameters ({cfg.get('n_layer')} layers, "
                f"{cfg.get('n_head')} heads, {cfg.get('n_embd')} dimensions, {cfg.get('block_size')} characters of "
                f"context, {card.get('vocabulary')} characters in its alphabet) · trained for "
                f"{card.get('steps', 0):,} steps ({card.get('seconds', 0) / 60:.0f} minutes) on {card.get('hardware')} · "
                f"validation loss {val.get('modern', float('nan')):.2f} on held-out modern English "
                f"(kept: step {card.get('best_step', 0):,})")
            st.html("<table style='width:100%; border-collapse:collapse; color:#E2E8F0; font-size:0.9rem'>"
                    "<tr style='color:#94A3B8; text-align:left'><th>What it read</th><th>Characters</th>"
                    "<th>Share of training</th><th></th></tr>" + rows + "</table>")
            st.caption(f"Made by `{card.get('command', 'tools/train_base_model.py')}` (seeded). Every text it read "
                       "is public domain or was written for this project.")


def unseen_note(text: str, start: str) -> None:
    """When the base model has barely seen the text's script, say so: it learns those letters from
    the text alone."""
    if start != FINETUNE or not base_model.available() or not text:
        return
    share, new = base_model.unseen_share(text)
    if share >= 0.2:
        shown = " ".join(new[:12])
        st.info(f"{share:.0%} of your text is in characters the base model has never read ({shown}"
                f"{' …' if len(new) > 12 else ''}). It will learn them from your text alone, so expect it to "
                f"write less well than in English: every character is kept.", icon=":material/translate:")
    elif new:
        st.caption(f"{len(new)} character{'s' * (len(new) != 1)} of your text {'are' if len(new) > 1 else 'is'} new "
                   f"to the base model ({' '.join(new[:12])}); {'they are' if len(new) > 1 else 'it is'} added to "
                   f"its alphabet.")


def style_request(text: str, start: str, timed: bool = False) -> TrainingRequest:
    """A Style run; `timed` for the comparison (the same seconds for both starts), else a fixed number
    of steps, reproducible (style_recipes.recipe)."""
    model, train = recipe(text, start, timed)
    return TrainingRequest(text, model, train, label="your text", base="english" if start == FINETUNE else "")


PRIVATE_KEY = "{page}_private"


def private_chosen(page: str) -> bool:
    """Whether the person chose to keep nothing of their run (the default: see privacy_choice)."""
    return bool(st.session_state.get(PRIVATE_KEY.format(page=page), True))


def privacy_choice(page: str, session: TrainingSession) -> None:
    """Keep this run, or not, said before anything is written. Private is the default here: people
    paste their own emails and letters, and would not expect a training demo to keep them on a
    server, nor its address to show them to whoever it reaches. Sharing is one switch away."""
    store = get_manager().store
    days = store.max_age / 86400
    st.toggle("Private: do not keep this run", value=True, key=PRIVATE_KEY.format(page=page),
              disabled=session.active,
              help="On: your text and the trained model stay in this server's memory only while you use the page; "
                   "nothing is written. Off: the run is kept so that its address opens it again, for you or anyone "
                   "you send it to.")
    if private_chosen(page):
        st.caption(":material/lock: Nothing you paste is written anywhere. A reload finds your run while this "
                   "server runs; nobody else can open it.")
    elif store.available:
        st.caption(f":material/public: When you press Play, your text, the run and the trained model are kept on "
                   f"this server for {days:g} days, and **anyone with this page's address can view them**.")
    else:
        st.caption(f":material/cloud_off: {store.problem} Your run will not be kept either way.")


def compare_button(main: TrainingSession, other: TrainingSession, text: str | None, page: str) -> None:
    """One click trains both starts on the same text for the same seconds, side by side."""
    if not base_model.available():
        return
    busy = main.active or other.active

    def _both() -> None:
        st.session_state[f"{page}_start"] = FINETUNE
        main.private = private_chosen(page)
        main.play(style_request(text, FINETUNE, timed=True))
        other.play(style_request(text, SCRATCH, timed=True))
        # The pair this comparison is: a later Play of one of them alone is no comparison.
        st.session_state[f"{page}_compare_runs"] = (main.run_id, other.run_id)
        st.session_state[f"{page}_setup_open"] = False  # as Play does: the two runs take the screen

    st.button("Compare: fine-tuned vs scratch", icon=":material/compare_arrows:", key=f"{page}_compare",
              disabled=busy or not text, on_click=_both, width="stretch",
              help=f"Trains two models at once on your text, for {STYLE_SECONDS:.0f} seconds each at most: one that "
                   f"already read English, one that starts from nothing. Their progress and texts appear side by "
                   f"side.")


def comparison(page: str, main: TrainingSession, other: TrainingSession, generate, prompt: str,
               temperature: float, draw: int) -> bool:
    """Both runs' share of the author's words over the seconds of training on one chart, and their
    texts with the measures beside each other. `generate(model_file, prompt, temperature, draw)` ->
    text. Returns whether it drew anything: only for the pair of runs Compare started."""
    if st.session_state.get(f"{page}_compare_runs") != (main.run_id, other.run_id) or main.request is None:
        return False
    text = main.request.text
    runs = [(FINETUNE, main), (SCRATCH, other)]
    st.markdown("### Same text, same time: one model knew English first")
    curves = [(RUN_NAMES[k], [(c.elapsed, style.author_word_share(c.sample, text)) for c in s.history.checkpoints])
              for k, s in runs if s.history.checkpoints]
    if curves:
        spec = author_words_chart(curves, height=int(260 * font_scale()), font_scale=font_scale())
        st.vega_lite_chart(spec=spec, key=f"{page}_compare_chart", width="stretch")
        st.caption("At each checkpoint, the share of its sample's words (of 3+ letters) that are words of your text, "
                   "against seconds of training. The fine-tuned model already spells, so within seconds it writes "
                   "your names and phrases; from scratch, the same seconds go on learning which letters follow "
                   "which. (The fine-tuned run stops early once its samples stop getting better.)")
    known = None
    columns = st.columns(2, gap="large")
    for (kind, s), col in zip(runs, columns):
        h = s.history
        with col:
            st.html(f'<div class="lb-side-title">{html.escape(RUN_NAMES[kind])}</div>')
            if s.state != State.COMPLETED or h.model_file is None:
                st.caption(f"Step {h.step:,} · {s.state.value}")
                continue
            generated = generate(h.model_file, prompt, temperature, draw)
            if known is None:
                known = base_corpus_words() | set(style.words_of(text))
            _, copied = style.longest_copied_run(generated, text)
            st.html(f'<div class="lb-side">{html.escape(generated)}</div>')
            m1, m2, m3 = st.columns(3)
            m1.metric("Your words", f"{style.author_word_share(generated, text):.0%}",
                      help="Of its words of 3 or more letters, the share that are words of your text.")
            m2.metric("Real words", f"{style.known_word_share(generated, known):.0%}",
                      help="Of its words of 3 or more letters, the share that are words of your text or of the "
                           "English the base model read (misspelt or made-up words are not).")
            m3.metric("Copied in a row", f"{copied}", help="The most words in a row found word for word in your text.")
            st.caption(f"{h.step:,} steps in {h.checkpoints[-1].elapsed:.0f} s of training.")
    return True
