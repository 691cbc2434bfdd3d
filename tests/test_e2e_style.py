"""Real browser: `streamlit run` + headless Chromium on the Style Transfer Speed Run page. Paste
about 200 words, train at max speed and check what a person sees; upload a .docx."""
import re

import pytest

from browser import ARTIFACTS
from conftest import unexpected_console_errors
from test_app_style import EMAIL

pytestmark = pytest.mark.e2e


def open_style(page, server) -> None:
    page.goto(server + "/style")
    page.get_by_text("Style Transfer Speed Run").first.wait_for(timeout=60_000)
    page.get_by_role("textbox", name="Your writing").wait_for(timeout=30_000)


def metric_value(page, label: str):
    box = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(label, exact=True))
    return box.locator('[data-testid="stMetricValue"]')


def side_marks(page, title: str):
    return (page.locator("div.lb-side-title", has_text=title)
            .locator("xpath=following-sibling::div[contains(@class,'lb-side')][1]")
            .locator("mark.lb-match"))


def test_paste_train_at_max_and_read_the_model_in_your_style(page, server):
    from playwright.sync_api import expect

    open_style(page, server)
    box = page.get_by_role("textbox", name="Your writing")
    box.fill(EMAIL)
    box.press("Control+Enter")
    expect(metric_value(page, "Words")).to_have_text(f"{len(EMAIL.split()):,}", timeout=30_000)
    page.get_by_text("Results improve with more text").wait_for(timeout=30_000)

    page.locator('[data-testid="stButtonGroup"] button', has_text=re.compile(r"^max$")).click()
    page.get_by_role("button", name=re.compile(r"^(play_arrow)?\s*Play$")).click()
    page.get_by_text(re.compile(r"· completed in [\d.]+ s")).wait_for(timeout=300_000)
    print("browser run:", page.get_by_text(re.compile(r"completed in")).first.inner_text())

    page.get_by_text("Your style, written by the model").wait_for(timeout=60_000)
    expect(page.locator("div.lb-side-title", has_text="Written by the model")).to_be_visible()
    expect(page.get_by_text("Style, side by side", exact=True)).to_be_visible()
    expect(page.get_by_text("How sure the model is", exact=True)).to_be_visible()
    for label in ("Words that are your words", "Longest run copied word for word",
                  "Average chosen-character probability", "Perplexity on your held-out text"):
        expect(metric_value(page, label)).to_be_visible()
    mine, theirs = side_marks(page, "Your text"), side_marks(page, "Written by the model")
    assert mine.count() >= 1, "no highlighted phrase in the person's text"
    assert theirs.count() >= 1, "no highlighted phrase in the model's text"
    expect(mine.first).to_be_visible()
    expect(theirs.first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "style-result.png"), full_page=True)
    assert unexpected_console_errors(page) == [], unexpected_console_errors(page)


def test_a_docx_upload_fills_the_box_and_updates_the_word_count(page, server, tmp_path):
    import docx

    first = "Dear neighbours, the street party is on the last Saturday of June."
    cells = [["Bring", "a chair and a smile"], ["Music", "from four until late"]]
    last = "Thanks so much, and see you all there."
    doc = docx.Document()
    doc.add_paragraph(first)
    table = doc.add_table(rows=2, cols=2)
    for r, row in enumerate(cells):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    doc.add_paragraph(last)
    path = tmp_path / "street party.docx"
    doc.save(str(path))
    expected = "\n".join([first, *cells[0], *cells[1], last])

    from playwright.sync_api import expect

    open_style(page, server)
    expect(metric_value(page, "Words")).to_have_text("0", timeout=30_000)
    page.locator('input[type="file"]').first.set_input_files(str(path))
    box = page.get_by_role("textbox", name="Your writing")
    expect(box).to_have_value(expected, timeout=30_000)
    expect(metric_value(page, "Words")).to_have_text(str(len(expected.split())), timeout=30_000)
    # Too few words to train on: the page says so, with the counts.
    expect(page.get_by_text(re.compile(rf"This text has {len(expected.split())} words"))).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "style-docx.png"), full_page=True)
    assert unexpected_console_errors(page) == [], unexpected_console_errors(page)


def test_fine_tuned_by_default_it_writes_mostly_your_words_and_compare_shows_scratch_beside_it(page, server):
    """The critical demo: ~200 words of an email nobody tuned on, Play with the defaults (fine-tune,
    2x), and the model's text is mostly the author's words without being a copy; then one click
    trains from scratch beside it for the same seconds."""
    from pathlib import Path

    from playwright.sync_api import expect

    email = (Path(__file__).parent / "data" / "style_email.txt").read_text(encoding="utf-8")
    open_style(page, server)
    expect(page.get_by_text("already read 6.2 million characters of English (fine-tune)")).to_be_visible()
    box = page.get_by_role("textbox", name="Your writing")
    box.fill(email)
    box.press("Control+Enter")
    expect(metric_value(page, "Words")).to_have_text(f"{len(email.split()):,}", timeout=30_000)
    page.get_by_role("button", name=re.compile(r"^(play_arrow)?\s*Play$")).click()
    page.get_by_text(re.compile(r"· completed in [\d.]+ s")).wait_for(timeout=300_000)
    print("browser fine-tune:", page.get_by_text(re.compile(r"completed in")).first.inner_text())
    page.get_by_text("Your style, written by the model").wait_for(timeout=60_000)
    expect(page.get_by_text(re.compile("Fine-tuned from the base model, which already read English"))).to_be_visible()

    yours = int(metric_value(page, "Words that are your words").inner_text().rstrip("%"))
    real = int(metric_value(page, "Real words").inner_text().rstrip("%"))
    copied = int(metric_value(page, "Longest run copied word for word").inner_text().split()[0])
    print(f"browser fine-tune: your words {yours} %, real words {real} %, longest copy {copied}")
    assert yours >= 60, f"only {yours} % of the model's words are the author's"
    assert real >= 75, f"only {real} % of the model's words are real words"
    assert copied <= 12, f"the model copied {copied} words in a row: a recital, not new text"
    page.screenshot(path=str(ARTIFACTS / "style-finetuned.png"), full_page=True)

    page.get_by_role("button", name=re.compile("Compare: fine-tuned vs scratch")).click()
    page.get_by_text("Same text, same time: one model knew English first").wait_for(timeout=300_000)
    expect(page.locator("div.lb-side-title", has_text="From scratch")).to_be_visible()
    expect(page.locator("div.lb-side-title", has_text="Fine-tuned from the base model")).to_be_visible()
    both = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text("Your words", exact=True))
    expect(both).to_have_count(2, timeout=300_000)
    tuned, scratch = (int(v.rstrip("%")) for v in both.locator('[data-testid="stMetricValue"]').all_inner_texts())
    print(f"browser compare: fine-tuned {tuned} % your words, from scratch {scratch} %")
    assert tuned > scratch
    page.screenshot(path=str(ARTIFACTS / "style-compare.png"), full_page=True)
    assert unexpected_console_errors(page) == [], unexpected_console_errors(page)
