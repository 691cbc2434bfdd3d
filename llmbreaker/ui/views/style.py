"""Style Transfer Speed Run: a person's own text in, new text in their style out (docs/design.md §Style)."""
from __future__ import annotations

import html
import math

import streamlit as st

from llmbreaker.charts.samples import markdown_literal
from llmbreaker.charts.training import loss_chart
from llmbreaker.engine import base_model
from llmbreaker.engine.corpus import display_name
from llmbreaker.engine.errors import UserInputError
from llmbreaker.engine.model_io import load_model
from llmbreaker.engine.session import TrainingSession
from llmbreaker.lessons import style
from llmbreaker.lessons.style_generation import DRAFTS, MAX_COPIED_SHOWN, generate_new_text
from llmbreaker.lessons.style_recipes import base_corpus_words, opening_words
from llmbreaker.ui.shell import font_scale, page_header, page_session
from llmbreaker.ui.views.style_start import (FINETUNE, compare_button, comparison, explain_finetuning, privacy_choice,
                                             private_chosen, start_choice, style_request, unseen_note)
from llmbreaker.ui.widgets.controls import live_fragment, progress_line, training_controls
from llmbreaker.ui.widgets.inputs import cut_controls, link_notes, setup_fold
from llmbreaker.ui.widgets.model_picker import per_session_cache
from llmbreaker.ui.widgets.run_address import shown_session
from llmbreaker.ui.widgets.upload import new_upload, upload_error

PAGE = "style"
GENERATE_CHARS = 400

CSS = """
<style>
.lb-side { font-family: 'JetBrains Mono', 'Fira Code', ui-monospace, monospace; font-size: 0.92rem; line-height: 1.55;
           white-space: pre-wrap; word-break: break-word; background: #111827; border: 1px solid #1E293B;
           border-radius: 10px; padding: 0.9rem 1rem; max-height: 26rem; overflow-y: auto; color: #CBD5E1; }
.lb-side mark.lb-match { background: rgba(6,182,212,0.28); color: #F1F5F9; border-radius: 3px; padding: 0 1px; }
.lb-side-title { color: #94A3B8; font-size: 0.8rem; letter-spacing: 0.04em; text-transform: uppercase; margin-bottom: 0.3rem; }
</style>
"""


def view() -> None:
    """This tab's run: the person's text and the settings under one row of controls, the two texts
    side by side during the run, what the model writes after it; or the run the address names
    (?run=), read-only."""
    page_header("Style Transfer Speed Run", "Paste a few hundred words of your own writing. A model that already "
                "reads English learns your style in about 20 seconds, then writes something new in it.", page=PAGE)
    session = page_session(PAGE)
    scratch = page_session(f"{PAGE}_scratch")  # the "from scratch" half of a side-by-side comparison: never kept
    link_notes(PAGE, ("speed",))  # before the speed control is made: a bad ?style_speed= gets a note
    shown = shown_session(PAGE, session)  # this tab's run, or the run the address names (?run=), read-only
    if shown is None:
        return
    if shown.read_only:
        live_view(shown, PAGE)
        results(PAGE, shown, shown.current.text)
        return
    session = shown
    # The controls in one row, the text and the settings under them; a run folds those away (Play does;
    # the "Settings" switch of the row shows them again), so that during a run the person's text and
    # what the model writes now stand side by side under the controls (a projector's first screen).
    bar = st.container()
    with setup_fold(PAGE, session):
        left, right = st.columns([1.3, 1], gap="large")
        with left:
            check = text_input(PAGE)
        with right:
            start = start_choice(PAGE)
            unseen_note(check.text if check else "", start)
            asking = confirm_new_text(session, check, PAGE)
            privacy_choice(PAGE, session)
            explain_finetuning()
            model_loader(PAGE)

    def make_request(text=check.text if check else ""):
        session.private = private_chosen(PAGE)  # read when Play is pressed: before anything is kept
        return style_request(text, start)

    with bar:
        training_controls(session, None if check is None or asking else make_request, PAGE,
                          default_speed="2x", fold=f"{PAGE}_setup_open")  # 2x: docs/design.md §Style's default here
        compare_button(session, scratch, check.text if check is not None and not asking else None, PAGE)
    live_view(session, PAGE, scratch)
    results(PAGE, session, session.request.text if session.request else (check.text if check else ""), scratch)


def text_input(page: str) -> style.TextCheck | None:
    """Paste or upload; the upload fills the text area so it can be edited. Returns the checked
    text when it can be trained on, else None (with the reason on the page)."""
    key = f"{page}_text"
    new = new_upload(page, "Upload a .txt or .docx file (it fills the box below)", ["txt", "docx"],
                     help="Upload .txt or .docx file. It stays in memory, never on disk.")
    if new is not None:
        name, st.session_state[key] = new
        st.toast(f"Loaded {display_name(name)}: edit it below before training.", icon=":material/description:")
    if upload_error(page):
        st.error(upload_error(page) + " Your text below is unchanged.", icon=":material/warning:")
    text = st.text_area("Your writing", key=key, height=240,
                        placeholder="Paste your writing here: emails, essays, a diary, tweets. At least 50 words; "
                                    "300 or more work better.",
                        help="Paste your writing (emails, essays, tweets). Min 50 words.")
    fine_tuning = st.session_state.get(f"{page}_start", FINETUNE) == FINETUNE and base_model.available()
    # Fine-tuning appends the text's new characters to the base's alphabet: the cap counts both.
    check = style.check_user_text(text, known=base_model.BASE_VOCAB if fine_tuning else ())
    c1, c2, c3 = st.columns(3)
    c1.metric("Characters", f"{check.chars:,}", help="Every character of your text is kept, in any script.")
    c2.metric("Words", f"{check.words:,}")
    c3.metric("Distinct characters", f"{check.distinct_chars}", help="One token per character.")
    if not text.strip():
        return None
    if check.removed:
        st.info(f"{check.removed:,} invisible control character{'s' * (check.removed != 1)} will be left out.",
                icon=":material/filter_alt:")
    if check.error:
        st.error(check.error.message, icon=":material/warning:")
        cut_controls(page, key, check)
        return None
    cut_controls(page, key, check)
    if check.warning:
        st.warning(check.warning, icon=":material/info:")
    return check


def confirm_new_text(session: TrainingSession, check: style.TextCheck | None, page: str) -> bool:
    """A changed text while a run goes on: ask before stopping it. The edits are kept either way."""
    if not (session.active and session.request and check and check.text != session.request.text):
        return False
    if st.session_state.get(f"{page}_keep_for") == hash(check.text):
        return False
    with st.container(border=True):
        st.warning("Stop current training? You changed the text; this run goes on with the text as it was when you "
                   "pressed Play. Your edits stay in the box either way.", icon=":material/help:")
        c1, c2 = st.columns(2)
        c1.button("Stop this run", key=f"{page}_switch_yes", on_click=session.stop, type="primary", width="stretch",
                  help="End the run; then press Play to train on the new text.")
        c2.button("Keep training", key=f"{page}_switch_no", width="stretch",
                  on_click=lambda: st.session_state.update({f"{page}_keep_for": hash(check.text)}),
                  help="Let the run finish on the old text.")
    return True


def live_view(session: TrainingSession, page: str, scratch: TrainingSession | None = None) -> None:
    """The run's progress, then while it trains the person's text and what the model writes now side
    by side (during a comparison the from-scratch run's progress and sample under the fine-tuned
    one's), and the loss curve."""
    def _draw() -> None:
        h = session.history
        st.html(CSS)  # the live texts use the same boxes as the results
        comparing = scratch is not None and scratch.active
        _time_line(session)
        if comparing:
            st.caption("At the same time, from scratch:")
            _time_line(scratch)
        if h.message:
            st.error(f"{h.message} Your text is kept: press Replay to try again.", icon=":material/warning:")
        if h.checkpoints and (session.active or comparing):
            _live_texts(session, scratch if comparing else None)
        if h.checkpoints:
            st.vega_lite_chart(spec=loss_chart(h.steps, h.losses, h.checkpoints, h.total_steps, len(h.vocab),
                                               height=int(240 * font_scale()), font_scale=font_scale()),
                               key=f"{page}_loss", width="stretch")
        if comparing:
            st.button("Stop the from-scratch run", key=f"{page}_stop_scratch", icon=":material/stop:",
                      on_click=scratch.stop, help="End the comparison's second run; the fine-tuned one goes on.")
    live_fragment(session, page, _draw, 0.5, also=(scratch,) if scratch is not None else ())


def _live_texts(session: TrainingSession, scratch: TrainingSession | None) -> None:
    """The two texts side by side: the person's (what the model learns from) and the newest sample
    (the fine-tuned run's, and the from-scratch one's under it during a comparison)."""
    h = session.history
    latest = h.checkpoints[-1]
    text = session.request.text if session.request else ""
    left, right = st.columns(2, gap="large")
    with left:
        st.html(f'<div class="lb-side-title">It reads · your text</div>'
                f'<div class="lb-side" style="max-height:11rem">{html.escape(text[:1500])}</div>')
    with right:
        st.html(f'<div class="lb-side-title">It writes now · step {latest.step:,}</div>'
                f'<div class="lb-side" style="max-height:{"6rem" if scratch else "11rem"}">'
                f'{html.escape(latest.sample[:200])}</div>')
        if scratch is not None and scratch.history.checkpoints:
            other = scratch.history.checkpoints[-1]
            st.html(f'<div class="lb-side-title">Trained from nothing · step {other.step:,}</div>'
                    f'<div class="lb-side" style="max-height:6rem">{html.escape(other.sample[:160])}</div>')


def _time_line(session: TrainingSession) -> None:
    """The progress line; a run with a time budget also says its seconds ("step 30 · 8 s of 20")."""
    progress_line(session)
    request, trainer = session.request, session.trainer
    if request is not None and request.train.time_budget and trainer is not None and session.active:
        st.caption(f"Step {trainer.step_count:,} · {trainer.train_seconds:.0f} s of {request.train.time_budget:.0f} s "
                   f"of training")


def _loaded(model_file: bytes):
    """The trained model, loaded (and validated) once per file, kept per person: in this browser
    session's state, so it is released with the session, and at most two of them. (A process-wide
    cache of 32 kept any model anyone loaded for the life of the server: 270 MB each, at the old
    bounds.)"""
    return per_session_cache("_style_models", model_file, lambda: load_model(model_file), keep=2)


def results(page: str, session: TrainingSession, original: str, scratch: TrainingSession | None = None) -> None:
    """After training (or with a model loaded from a file): generate, compare, measure, download.
    After a comparison (`scratch` trained beside `session`), both texts first, side by side."""
    h = session.history
    source = st.session_state.get(f"{page}_loaded_model")
    if h.model_file is not None and session.state.value == "completed":
        model_file, origin = h.model_file, "run"
    elif source is not None:
        model_file, origin = source, "file"
    else:
        return
    model, tokenizer = _loaded(model_file)
    st.html(CSS)
    theirs = session.read_only  # someone else's run, opened from its address
    st.markdown("### The author's style, written by the model" if theirs else "### Your style, written by the model")
    if origin == "run":
        st.caption(_picked_words(session))
    else:
        st.caption("Using the model you loaded from a file: no training needed.")

    c1, c2, c3 = st.columns([1.2, 2, 1], vertical_alignment="bottom")
    temperature = c1.slider("Temperature", 0.2, 1.5, 0.8, 0.1, key=f"{page}_temperature",
                            help="Lower = safer, more like your text; higher = more adventurous (and more typos).")
    default_prompt = opening_words(original) if original else ""
    prompt = c2.text_input("Start from your own words", value=default_prompt, key=f"{page}_prompt", max_chars=200,
                           help="The model continues from these words. Characters it never saw are left out.")
    c3.button("Regenerate", icon=":material/autorenew:", key=f"{page}_regen", width="stretch",
              on_click=lambda: st.session_state.update({f"{page}_draw": st.session_state.get(f"{page}_draw", 0) + 1}),
              help="Sample new text from the same trained model, without training again.")
    draw = st.session_state.get(f"{page}_draw", 0)
    generated, probs, drafts = _generate(model, tokenizer, prompt, temperature, draw, original or "")
    if origin == "run" and scratch is not None and comparison(
            page, session, scratch, lambda mf, p, t, d: _generate(*_loaded(mf), p, t, d, original or "")[0], prompt, temperature, draw):
        st.markdown("#### The fine-tuned model's text, beside yours")

    reference = original or ""
    left_text = reference[:1500]
    spans_left, spans_right = style.phrase_spans(left_text, generated, n=2)
    how = "Marked: runs of 2 or more words that appear in both texts (ignoring case and punctuation)."
    if reference:
        left, right = st.columns(2, gap="large")
        with left:
            whose = "The author’s text" if theirs else "Your text"
            st.html(f'<div class="lb-side-title">{whose}'
                    f'{" (start)" if len(reference) > 1500 else ""}</div>'
                    f'<div class="lb-side">{style.highlight_html(left_text, spans_left, how)}</div>')
        with right:
            st.html(f'<div class="lb-side-title">Written by the model</div>'
                    f'<div class="lb-side">{style.highlight_html(generated, spans_right, how)}</div>')
        st.caption(how + " Hover a marked phrase for this note.")
    else:  # a loaded model and an empty box: nothing to compare with yet
        st.html(f'<div class="lb-side-title">Written by the model</div>'
                f'<div class="lb-side">{html.escape(generated)}</div>')
        st.caption("Paste the text the model was trained on in the box above to see the phrases they share.")

    n = None
    if reference:
        share = style.author_word_share(generated, reference)
        real = style.known_word_share(generated, base_corpus_words() | set(style.words_of(reference)))
        run, n = style.longest_copied_run(generated, reference)
        m1, m2, m3 = st.columns(3)
        m1.metric("Words that are your words", f"{share:.0%}",
                  help="Of the model's words of 3 or more letters, the share that appear somewhere in your text "
                       "(short words like 'the' are in every text, so they are not counted).")
        m2.metric("Real words", f"{real:.0%}",
                  help="Of the model's words of 3 or more letters, the share that are words of your text or of the "
                       "English the base model read. Misspelt and made-up words are not.")
        m3.metric("Longest run copied word for word", f"{n} word{'s' * (n != 1)}",
                  help="The longest stretch of the model's text found, word for word, in yours. Short means it "
                       "recombines your words rather than reciting them.")
        if run:
            st.caption(f"Longest copied run: “{markdown_literal(run)}”")  # generated text: no Markdown
        st.caption(copy_rule_note(n, drafts))
        _style_table(reference, generated)
    _confidence(session, probs, origin, n)
    _downloads(page, generated, model_file)


def copy_rule_note(copied: int, drafts: int, limit: int = MAX_COPIED_SHOWN, most: int = DRAFTS) -> str:
    """The rule applied to the text shown, with its own numbers (docs/design.md §Honesty: "at most 8 in a row"
    stood beside a text that copied 12: that 8 was the rule of the checkpoint's sample, another draw)."""
    rule = f"The page shows the first of up to {most} drafts that copies at most {limit} words in a row from your text"
    if copied <= limit:
        which = "the first draft" if drafts == 1 else f"draft {drafts} of {most}"
        return f"{rule}: this is {which}, and it copies {copied}."
    return (f"{rule}, but all {drafts} drafts copied more: this one copies the least, {copied} words in a row, "
            "so it recites more of your text than the page aims for. Regenerate, or lower the temperature.")


def _picked_words(session: TrainingSession) -> str:
    h = session.history
    request = session.request
    cps = {c.step: c for c in h.checkpoints}
    best = cps.get(h.best_step)
    lowest = min(h.checkpoints, key=lambda c: c.val_loss)
    tuned = bool(request.base)
    start = ("Fine-tuned from the base model, which already read English: " if tuned
             else "Trained from scratch on your text alone: ")
    if h.stopped_early:
        stop = (f"training stopped at step {h.step:,}: for {request.train.patience} checkpoints in a row its "
                f"samples got no better (they copied your text more and more).")
    elif request.train.time_budget and h.step < request.train.max_steps:
        stop = f"training ran {h.step:,} steps in its {request.train.time_budget:.0f} seconds."
    else:
        stop = f"training ran all {h.step:,} steps."
    picked = (f" Using the checkpoint at step {best.step:,}: its sample had the most of your words while copying at "
              f"most {request.train.max_copied_words} in a row (the text below is a new draw from it, with its own "
              f"count)." if best else "")
    val = (f" The validation loss (on the last 10 % of your text) was lowest at step {lowest.step:,} "
           f"({lowest.val_loss:.2f}).")
    if not tuned:
        val += " Samples were still mostly letters then: a text this short is too small to judge by it alone."
    return start + stop + picked + val


def _generate(model, tokenizer, prompt: str, temperature: float, draw: int,
              original: str = "") -> tuple[str, list[float], int]:
    """Generated once per model, settings and text compared with, kept per person: a rerun (any
    widget) shows the same text again instead of generating it again. A draft that recites the
    person's text is drawn again (style_generation.generate_new_text)."""
    key = (prompt, float(temperature), int(draw), hash(original))
    return per_session_cache("_style_generated", model,
                             lambda: generate_new_text(model, tokenizer, prompt, temperature, GENERATE_CHARS,
                                                       1000 + draw, original), keep=8, extra=key)


def _style_table(original: str, generated: str) -> None:
    known = base_corpus_words() | set(style.words_of(original))
    # Richness on as many real words of each text (a longer text repeats more): the shorter one's count.
    n = min(len(style.real_words(original, known)), len(style.real_words(generated, known)))
    a, b = (style.style_metrics(t, known, n) for t in (original, generated))
    st.markdown("##### Style, side by side", help="How formal/structured your writing is")

    def formality(m: dict) -> str:
        return ("no signal (no formal or informal word)" if m["formality"] is None
                else f"{m['formality']} ({m['formality_label']})")

    def richness(m: dict) -> str:
        if m["vocabulary_richness"] is None:
            return f"not enough real words ({m['real_words']})"
        return f"{m['vocabulary_richness']:.2f} (of {n} real words)"

    rows = [
        ("Formality (0-100)", formality(a), formality(b),
         "Formal words (regarding, therefore, sincerely…) against informal ones (gonna, yeah, stuff…), per 100 words. "
         "A text with none of them has no signal."),
        ("Average sentence length", f"{a['avg_sentence_length']:.1f} words", f"{b['avg_sentence_length']:.1f} words",
         "Words per sentence."),
        ("Vocabulary richness", richness(a), richness(b),
         "Distinct words divided by all words, counted on real words only (a misspelling is not a new word) and on "
         f"the same number of words in both texts: higher = more varied. Under {style.MIN_RICHNESS_WORDS} real words "
         "there is too little to say."),
    ]
    body = "".join(f"<tr><td title='{html.escape(tip, quote=True)}'>{name}</td><td>{x}</td><td>{y}</td></tr>"
                   for name, x, y, tip in rows)
    st.html("<table style='width:100%; border-collapse:collapse; color:#E2E8F0'>"
            "<tr style='color:#94A3B8; text-align:left'><th>Metric</th><th>Your text</th><th>The model's text</th></tr>"
            f"{body}</table>")


def _confidence(session: TrainingSession, probs: list[float], origin: str, copied_words: int | None) -> None:
    st.markdown("##### How sure the model is", help="How confident the model is in its generations")
    avg = style.avg_chosen_probability(probs)
    h = session.history
    val_loss = None
    if origin == "run" and h.checkpoints:
        best = next((c for c in h.checkpoints if c.step == h.best_step), h.checkpoints[-1])
        val_loss = best.val_loss
    ppl = style.perplexity(val_loss) if val_loss is not None else None
    text = session.request.text if session.request else ""
    alphabet = len(set(text)) or None  # guessing evenly among the text's characters: perplexity = this
    label = style.confidence_label(avg, ppl, alphabet)
    c1, c2, c3 = st.columns(3)
    c1.metric("Average chosen-character probability", f"{avg:.0%}",
              help="How likely, on average, each character the model wrote was, by its own estimate.")
    c2.metric("Perplexity on your held-out text", "—" if ppl is None else (f"{ppl:.1f}" if math.isfinite(ppl) else "∞"),
              help="exp(validation loss) on the last 10 % of your text: about how many characters it hesitates "
                   "between. Lower is better; a random guess is the alphabet size.")
    c3.metric("In plain words", label.capitalize(),
              help="How sure it is of the characters it writes (from the average above), but never more than its "
                   "perplexity allows: no better than guessing evenly among your text's characters is "
                   "'guessing', worse than knowing letter frequencies (20) at most 'unsure'.")
    if style.worse_than_guessing(ppl, alphabet):
        st.caption(f"Its perplexity on your held-out text is no better than guessing evenly among the {alphabet} "
                   f"different characters of your text ({alphabet}), so it is guessing there, however sure it is "
                   f"of what it writes ({avg:.0%}).")
    limit = session.request.train.max_copied_words if session.request else 8
    if ppl is not None and style.is_reciting(avg, ppl) and (copied_words is None or copied_words > limit):
        st.warning(style.RECITING_NOTE, icon=":material/content_copy:")
    elif ppl is not None and ppl > 20:
        st.caption("A high perplexity is expected from a short text: its last 10 % holds words and sentences the "
                   "model never saw, so it cannot predict them well, even while it writes your words confidently.")


def _downloads(page: str, generated: str, model_file: bytes) -> None:
    c1, c2 = st.columns(2)
    c1.download_button("Download the generated text", data=generated, file_name="generated.txt", mime="text/plain",
                       icon=":material/download:", key=f"{page}_dl_text", on_click="ignore", width="stretch",
                       help="The text shown on the right, as a .txt file.")
    c2.download_button("Download the trained model", data=model_file, file_name="my-style-model.pt",
                       mime="application/octet-stream", icon=":material/download:", key=f"{page}_dl_model",
                       on_click="ignore", width="stretch",
                       help="Load it again on this page (Load a saved model) to write more without training.")


def model_loader(page: str) -> None:
    """Load a model saved from this page, to generate without retraining. Validated before use."""
    with st.container(key=f"{page}_lbextras"), st.expander("Load a saved model", icon=":material/upload_file:"):
        file = st.file_uploader("A model file saved from this page (.pt)", type=["pt"], key=f"{page}_model_upload",
                                help="Files are checked before use: only LLMBreaker model files load.")
        if file is None:
            return
        if st.session_state.get(f"{page}_model_seen") == (file.name, file.size):
            return
        st.session_state[f"{page}_model_seen"] = (file.name, file.size)
        try:
            data = file.getvalue()
            _loaded(data)
            st.session_state[f"{page}_loaded_model"] = data
            st.success("Model loaded: it writes below. Paste the text it was trained on to compare.")
        except UserInputError as e:
            st.error(e.message, icon=":material/warning:")
