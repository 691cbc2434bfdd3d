"""The Style Transfer Speed Run page, driven through Streamlit's AppTest (no browser)."""
import html
import io
import os
import math
import re
import time
from pathlib import Path

import pytest

from llmbreaker.lessons import style
import streamlit as st
from streamlit.testing.v1 import AppTest

from llmbreaker.engine.base_model import BASE_VOCAB
from llmbreaker.lessons.style import filter_text
from llmbreaker.engine.model_io import load_model
from llmbreaker.engine.session import State
from llmbreaker.ui.shell import get_manager
from llmbreaker.ui.widgets import keys

from conftest import trainer_threads

ROOT = Path(__file__).resolve().parent.parent
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
RUN_TIMEOUT = 300  # seconds; a run at max speed takes ~20-50 s on a busy 2-core machine

# An original ~200-word text (a friendly email) with a few repeated phrases ("lemon cake",
# "the tomatoes", "the second week of August", "on Friday", "Thanks so much"), so a model trained
# on it writes phrases that also appear in it.
EMAIL = """Hi Marta,

Thanks so much for the lovely dinner on Saturday. The soup was wonderful, and the lemon cake was even better than last time. I still think about that lemon cake. Thanks so much for sending the recipe too; I will try it this weekend and let you know how it goes.

About the garden: the tomatoes are finally turning red, and the beans are climbing the fence again. If you want some tomatoes, just let me know and I will bring a basket on Friday. The basil is doing well too, so I can bring some basil with the tomatoes.

I talked to Tom about the trip to the lake. He says the cabin is free in the second week of August, and the boat is fixed at last. If the weather is good, we can take the boat out every morning and swim in the afternoon. Let me know if the second week of August works for you and the kids.

One more thing: the book you lent me is great. I am reading it slowly, a few pages every night, because I do not want it to end. I will bring it back on Friday with the tomatoes.

Thanks again for everything, and say hello to everyone for me.

Talk soon,
Anna
"""
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def words(n: int) -> str:
    """The first n words of EMAIL (repeated if needed), as one line."""
    pool = EMAIL.split()
    return " ".join(pool[i % len(pool)] for i in range(n))


def new_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/style.py").run()
    assert not at.exception
    return at


@pytest.fixture
def app():
    st.cache_resource.clear()
    at = new_app()
    yield at
    get_manager().shutdown()
    st.cache_resource.clear()
    assert trainer_threads() == []


def the_session(page="style"):
    sessions = [s for s in get_manager().all_sessions() if s.page == page]
    assert len(sessions) == 1
    return sessions[0]


def style_text(text: str) -> str:
    return filter_text(text)[0]


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def bodies(at) -> list[str]:
    return [h.proto.body for h in at.html]


def side(at, title: str) -> str:
    """The HTML of one side of the comparison ("Your text" or "Written by the model")."""
    found = [b for b in bodies(at) if f'<div class="lb-side-title">{title}' in b]
    assert len(found) == 1, f"expected one side titled {title!r}, found {len(found)}"
    return found[0]


def side_text(body: str) -> str:
    """The plain text a side shows: marks removed, entities decoded."""
    inner = body.split('<div class="lb-side">', 1)[1].rsplit("</div>", 1)[0]
    return html.unescape(re.sub(r"</?mark\b[^>]*>", "", inner))


def docx_bytes(first: str, cells: list[list[str]], last: str) -> bytes:
    import docx

    doc = docx.Document()
    doc.add_paragraph(first)
    table = doc.add_table(rows=len(cells), cols=len(cells[0]))
    for r, row in enumerate(cells):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    doc.add_paragraph(last)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def train_at_max(at, text: str, watch=None):
    """Paste, choose max speed, press Play, wait for the end, then let the page catch up.
    `watch(at)` is called on each page redraw while the run goes on."""
    at.text_area(key="style_text").input(text).run()
    at.segmented_control(key="style_speed").set_value("max").run()
    assert not at.button(key="style_play").disabled
    at.button(key="style_play").click().run()
    s = the_session()
    assert s.request is not None and s.request.label == "your text"
    deadline = time.monotonic() + RUN_TIMEOUT
    last_redraw = 0.0
    while s.active and time.monotonic() < deadline:
        if watch is not None and time.monotonic() - last_redraw > 3:
            at.run()
            watch(at)
            last_redraw = time.monotonic()
        time.sleep(0.2)
    assert not s.active, f"the run did not end within {RUN_TIMEOUT} s"
    assert s.state == State.COMPLETED, (s.state, s.history.message)
    at.run()  # the fragment's tick: drain and redraw
    at.run()  # the rerun the fragment asks for when the state changed
    assert not at.exception, at.exception
    return s


# -- (a) defaults ----------------------------------------------------------------------------------

def test_speed_defaults_to_2x_and_play_is_disabled_with_an_empty_box(app):
    assert app.segmented_control(key="style_speed").value == "2x"
    assert app.text_area(key="style_text").value == ""
    assert app.text_area(key="style_text").label == "Your writing"
    assert app.button(key="style_play").label == "Play"
    assert app.button(key="style_play").disabled
    assert not app.error and not app.warning
    assert metrics(app)["Words"] == "0"


# -- (b) text checks -------------------------------------------------------------------------------

def test_too_short_text_shows_the_counts_and_keeps_play_disabled(app):
    text = words(30)
    app.text_area(key="style_text").input(text).run()
    errors = [e.value for e in app.error]
    assert len(errors) == 1, errors
    assert "Text too short" in errors[0]
    assert f"This text has 30 words and {len(text):,} characters" in errors[0], errors[0]
    assert metrics(app)["Words"] == "30" and metrics(app)["Characters"] == f"{len(text):,}"
    assert app.button(key="style_play").disabled


def test_a_short_but_usable_text_warns_and_enables_play(app):
    app.text_area(key="style_text").input(words(120)).run()
    assert not app.error
    warnings = [w.value for w in app.warning]
    assert any("Results improve with more text" in w and "120 words" in w for w in warnings), warnings
    assert not app.button(key="style_play").disabled


def test_emoji_are_kept_and_named_as_new_to_the_base_model(app):
    app.text_area(key="style_text").input("Hello 😀 " + words(120) + " 🎉 bye 👍").run()
    captions = " ".join(c.value for c in app.caption)
    assert "3 characters of your text are new to the base model (😀 🎉 👍)" in captions, captions
    assert not app.error
    assert not app.button(key="style_play").disabled


def test_fine_tuning_is_the_default_and_the_page_says_what_it_is(app):
    assert app.radio(key="style_start").value == "finetune"
    assert "already read 6.2 million characters of English" in app.radio(key="style_start").options[0]
    expander = " ".join(m.value for m in app.markdown)
    assert "Pretraining" in expander and "Fine-tuning" in expander and "million" in expander
    app.text_area(key="style_text").input(words(200)).run()
    app.button(key="style_play").click().run()
    s = the_session()
    assert s.request.base == "english" and s.request.train.prompt == " ".join(EMAIL.split()[:2])
    s.stop()
    app.radio(key="style_start").set_value("scratch").run()
    app.button(key="style_play").click().run()
    assert the_session().request.base == ""


def test_a_text_in_greek_keeps_every_letter_and_notes_the_base_has_not_read_it(app):
    greek = (ROOT / "tests" / "data" / "other_scripts" / "greek.txt").read_text(encoding="utf-8")
    app.text_area(key="style_text").input(greek).run()
    assert not app.error, [e.value for e in app.error]
    infos = " ".join(i.value for i in app.info)
    assert "characters the base model has never read" in infos and "every character is kept" in infos, infos
    assert metrics(app)["Characters"] == f"{len(greek.strip()) if greek.strip() == greek else len(greek):,}"


def test_a_too_long_text_can_be_cut_to_the_limit(app):
    sentence = "Wonderful afternoons remembered together, watching thunderstorms approaching slowly. "
    text = sentence * (60_000 // len(sentence) + 1)
    assert 60_000 <= len(text) < 60_100 and len(text.split()) < 10_000  # only the character limit is hit
    app.text_area(key="style_text").input(text).run()
    errors = [e.value for e in app.error]
    assert any("Text too long" in e and f"{len(text):,} characters" in e for e in errors), errors
    assert app.button(key="style_play").disabled
    cut = app.button(key="style_truncate")
    assert cut.label == "Cut the text to the limit"
    cut.click().run()
    assert not app.exception
    kept = app.text_area(key="style_text").value
    assert 40_000 <= len(kept) <= 50_000, len(kept)
    assert kept.endswith("slowly.") and text.startswith(kept)
    assert not app.error, [e.value for e in app.error]
    assert not app.button(key="style_play").disabled


# -- (c) .docx upload ------------------------------------------------------------------------------

def test_a_docx_upload_fills_the_box_with_paragraphs_and_cells_in_order(app):
    first = "Dear team, here is the plan for the spring fair."
    cells = [["Saturday morning", "Cakes and coffee"], ["Sunday afternoon", "Music in the park"]]
    last = "Thanks so much for all your help this year."
    app.file_uploader(key="style_upload").upload("plan.docx", docx_bytes(first, cells, last), DOCX_MIME).run()
    assert not app.exception
    assert not [e.value for e in app.error if "docx" in e.value or "file" in e.value]
    expected = "\n".join([first, *cells[0], *cells[1], last])
    assert app.text_area(key="style_text").value == expected
    assert metrics(app)["Words"] == str(len(expected.split()))
    assert any("plan.docx" in t.value for t in app.toast), [t.value for t in app.toast]


def test_a_corrupt_docx_shows_an_error_and_keeps_the_text(app):
    text = words(120)
    app.text_area(key="style_text").input(text).run()
    corrupt = b"PK\x03\x04" + os.urandom(2000)
    app.file_uploader(key="style_upload").upload("broken.docx", corrupt, DOCX_MIME).run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert any("not a valid .docx" in e and "Your text below is unchanged" in e for e in errors), errors
    assert app.text_area(key="style_text").value == text
    assert metrics(app)["Words"] == "120"
    assert not app.button(key="style_play").disabled


# -- (d) a full run --------------------------------------------------------------------------------

def test_full_run_shows_the_comparison_metrics_and_a_model_that_loads_again(app):
    started = time.monotonic()
    s = train_at_max(app, EMAIL)
    print(f"style run at max: {time.monotonic() - started:.1f} s (trainer: {s.history.seconds:.1f} s, "
          f"{s.history.step} steps)")

    assert "### Your style, written by the model" in [m.value for m in app.markdown]
    captions = " ".join(c.value for c in app.caption)
    assert "Using the checkpoint at step" in captions, captions
    yours, model = side(app, "Your text"), side(app, "Written by the model")
    assert '<mark class="lb-match"' in yours, yours
    assert '<mark class="lb-match"' in model, model
    m = metrics(app)
    for label in ("Words that are your words", "Real words", "Longest run copied word for word",
                  "Average chosen-character probability", "Perplexity on your held-out text"):
        assert label in m, f"missing metric {label!r}: {sorted(m)}"
    assert re.fullmatch(r"\d+%", m["Words that are your words"])
    assert re.fullmatch(r"\d+ words?", m["Longest run copied word for word"])
    # Honest metrics (docs/design.md §Honesty). The copy rule shown is the one applied to the text shown,
    # with that text's own count, not the rule of the checkpoint's sample (another draw).
    copied = int(m["Longest run copied word for word"].split()[0])
    note = next(c.value for c in app.caption if c.value.startswith("The page shows the first of up to"))
    assert f"and it copies {copied}." in note or f"copies the least, {copied} words in a row" in note, note
    # The label agrees with the perplexity beside it: no better than guessing evenly among the text's
    # characters is "guessing", worse than letter frequencies is never "confident".
    ppl, label, alphabet = m["Perplexity on your held-out text"], m["In plain words"], len(set(s.request.text))
    ppl = math.inf if ppl == "∞" else float(ppl)
    if ppl >= alphabet:
        assert label == "Guessing", (ppl, alphabet, label)
    if ppl > 20:
        assert "confident" not in label.lower(), (ppl, label)
    # Formality and richness say when they have no signal, and never show 50 for a text without markers.
    table = next(h.proto.body for h in app.get("html") if "Vocabulary richness" in h.proto.body)
    model_text = side_text(side(app, "Written by the model"))
    if not any(style.formality_markers(model_text)):
        assert "no signal" in table and "50 (Medium)" not in table
    assert "real words" in table
    downloads = {d.label for d in app.get("download_button")}
    assert downloads == {"Download the generated text", "Download the trained model"}

    # Regenerate: a new sample from the same model.
    before = side_text(side(app, "Written by the model"))
    app.button(key="style_regen").click().run()
    assert not app.exception
    after = side_text(side(app, "Written by the model"))
    assert after != before, "Regenerate did not change the generated text"

    # Temperature 0.3: still a page, still a text.
    app.slider(key="style_temperature").set_value(0.3).run()
    assert not app.exception
    assert "### Your style, written by the model" in [m.value for m in app.markdown]
    assert side_text(side(app, "Written by the model")).strip()

    # The downloadable model is a valid model file for this text's alphabet.
    model_file = s.history.model_file
    assert model_file
    net, tokenizer = load_model(model_file)
    assert set(EMAIL) <= set(tokenizer.chars)  # fine-tuned: the base's alphabet, then any new character
    assert tokenizer.chars[: len(BASE_VOCAB)] == list(BASE_VOCAB)

    # A fresh server and browser: load the file without training.
    get_manager().shutdown()
    st.cache_resource.clear()
    fresh = new_app()
    assert get_manager().all_sessions()[0].history.model_file is None  # really fresh: nothing trained
    fresh.file_uploader(key="style_model_upload").upload("my-style-model.pt", model_file,
                                                         "application/octet-stream").run()
    assert not fresh.exception
    successes = [x.value for x in fresh.success]
    assert any("Model loaded" in x for x in successes), successes
    assert not fresh.error, [e.value for e in fresh.error]
    assert "### Your style, written by the model" in [m.value for m in fresh.markdown]
    assert any("loaded from a file" in c.value for c in fresh.caption)
    assert side_text(side(fresh, "Written by the model")).strip()


def test_random_bytes_as_a_model_file_show_an_error(app):
    app.file_uploader(key="style_model_upload").upload("not-a-model.pt", os.urandom(4096),
                                                       "application/octet-stream").run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert any("not a model file saved by LLMBreaker" in e for e in errors), errors
    assert not app.success
    assert "### Your style, written by the model" not in [m.value for m in app.markdown]


# -- (e) HTML in the person's text is shown, never run ---------------------------------------------

def test_html_in_the_text_is_escaped_in_every_html_block(app):
    paragraphs = EMAIL.split("\n\n")
    paragraphs.insert(2, f"I tried to paste this from a website: {SCRIPT} and also {IMG} oops.")
    text = "\n\n".join(paragraphs)
    assert 200 <= len(text.split()) <= 240

    def no_raw_html(at):
        for body in bodies(at):
            if body.strip() == keys.SCRIPT.strip():  # the app's own presenter-keys script, a constant no input reaches
                continue
            low = body.lower()
            assert "<script" not in low and "<img" not in low, \
                f"raw HTML from the person's text in an st.html body: {body[:400]}"

    train_at_max(app, text, watch=no_raw_html)
    no_raw_html(app)
    yours = side(app, "Your text")
    # Phrase marks may fall between the escaped characters: compare without them.
    plain = re.sub(r"</?mark\b[^>]*>", "", yours)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in plain, plain
    assert "&lt;img src=x onerror=alert(1)&gt;" in plain, plain
    assert SCRIPT in side_text(yours) and IMG in side_text(yours)  # shown as text, as written


def test_compare_trains_both_starts_on_the_same_text_and_shows_them_side_by_side(app):
    # An everyday email with names and jargon (EMAIL above repeats its phrases so that a model from
    # scratch can learn some of them: given 20 s, it wrote 79 % of its words, as many as fine-tuned).
    email = (ROOT / "tests" / "data" / "style_email.txt").read_text(encoding="utf-8")
    app.text_area(key="style_text").input(email).run()
    app.segmented_control(key="style_speed").set_value("max").run()
    app.button(key="style_compare").click().run()
    tuned, scratch = the_session("style"), the_session("style_scratch")
    assert tuned.request.base == "english" and scratch.request.base == ""
    assert tuned.request.text == scratch.request.text == style_text(email)
    assert tuned.request.train.time_budget == scratch.request.train.time_budget > 0
    deadline = time.monotonic() + RUN_TIMEOUT
    while (tuned.active or scratch.active) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert tuned.state == scratch.state == State.COMPLETED, (tuned.history.message, scratch.history.message)
    app.run()
    app.run()
    assert not app.exception, app.exception
    assert "### Same text, same time: one model knew English first" in [m.value for m in app.markdown]
    titles = " ".join(bodies(app))
    assert "Fine-tuned from the base model" in titles and "From scratch" in titles
    assert [m.label for m in app.metric].count("Your words") == 2
    assert app.get("vega_lite_chart"), "no comparison chart"
    # The fine-tuned model writes more of the author's words than the one from scratch, the same seconds.
    values = [m.value for m in app.metric if m.label == "Your words"]
    assert int(values[0].rstrip("%")) > int(values[1].rstrip("%")), values
    # A later run of the fine-tuned start alone is no comparison: the old pair is not shown beside it.
    app.button(key="style_play").click().run()
    assert tuned.active and tuned.run_id != app.session_state["style_compare_runs"][0]
    assert "### Same text, same time: one model knew English first" not in [m.value for m in app.markdown]
    tuned.stop()
