"""Real browser: Your runs (docs/design.md §Runs). Train a short Watch run; it is listed on /runs for
this browser (and not for another one); rename it, download it as a .lbrun file, import that file
again (listed at the top, marked, with its Open link that shows the run), refuse a bad file with its
message, delete with a confirmation. The server's store is this test's own database."""
import re

import pytest

from browser import ARTIFACTS, CHROMIUM_ARGS, chromium_path, streamlit_server
from conftest import unexpected_console_errors

pytestmark = pytest.mark.e2e

PLAY = re.compile(r"^(play_arrow)?\s*Play$")


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_page(browser, width=1400, height=1900):
    pg = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True).new_page()
    pg.console_errors = []
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    return pg


def cards(page, n: int) -> list[str]:
    """The cards' names once the page shows n of them (a rerun draws them one after another)."""
    page.wait_for_function(f"() => document.querySelectorAll('.lb-run-name').length === {n}", timeout=30_000)
    return page.locator(".lb-run-name").all_inner_texts()


def card(page, token):
    return page.locator(f".st-key-lb-run-{token}")


def test_your_runs_lists_renames_downloads_imports_and_deletes_a_run(browser, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    env = {"LLMBREAKER_DB_URL": f"sqlite:///{tmp_path / 'runs.db'}"}
    with streamlit_server(env=env) as url:
        page = new_page(browser)
        page.goto(url + "/watch?watch_dataset=Poems&watch_steps=200&watch_interval=100&watch_speed=max")
        page.get_by_role("button", name=PLAY).click()
        page.get_by_text(re.compile(r"Step 200 / 200 · completed in")).wait_for(timeout=120_000)
        token = re.search(r"[?&]run=([A-Za-z0-9_-]+)", page.url).group(1)

        # Listed for this browser, with its page, name, steps and state.
        page.goto(url + "/runs")
        mine = card(page, token)
        mine.wait_for(timeout=60_000)
        # The card's box comes first and its lines after it, in the same rerun: wait for them.
        page.wait_for_function("(sel) => { const t = document.querySelector(sel)?.innerText || ''; "
                               "return /steps/.test(t) && /Poems/.test(t) && /learn to spell/i.test(t); }",
                               arg=f".st-key-lb-run-{token}", timeout=30_000)
        text = mine.inner_text()
        assert "Watch It Learn to Spell".upper() in text.upper() and "Poems" in text
        assert "200 / 200 steps" in text and "completed" in text and "today" in text
        for w, h in ((1280, 720), (1440, 900)):
            page.set_viewport_size({"width": w, "height": h})
            page.wait_for_timeout(300)  # a layout pass after the resize (a picture, not a condition)
            page.screenshot(path=str(ARTIFACTS / f"runs-{w}x{h}.png"))
        page.set_viewport_size({"width": 1400, "height": 1900})

        # Another browser (other cookies) sees none of it.
        other = new_page(browser)
        other.goto(url + "/runs")
        other.get_by_text("No runs yet").wait_for(timeout=60_000)
        assert other.locator(".st-key-lb-run-" + token).count() == 0

        # Rename.
        mine.get_by_role("button", name=re.compile("Rename")).click()
        box = page.get_by_role("textbox", name="Name")
        box.wait_for(timeout=30_000)
        box.fill("Before class")
        page.get_by_role("button", name=re.compile("Save")).click()
        page.locator(".lb-run-name", has_text="Before class").wait_for(timeout=30_000)

        # Download, then import the file again: a new run at the top, marked, with its Open link.
        with page.expect_download(timeout=60_000) as got:
            mine.get_by_role("button", name=re.compile("Download")).click()
        download = got.value
        assert download.suggested_filename == "llmbreaker-Before-class.lbrun"
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        assert saved.read_bytes()[:2] == b"PK"
        page.get_by_text("Import a run").click()
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(saved))
        page.get_by_text("it is at the top of the list").wait_for(timeout=60_000)
        page.locator(".lb-run-new").wait_for(timeout=30_000)
        names = cards(page, 2)
        assert names[0].startswith("Before class") and "IMPORTED" in names[0] and "IMPORTED" not in names[1]
        page.screenshot(path=str(ARTIFACTS / "runs-imported.png"), full_page=True)
        page.get_by_role("link", name=re.compile("Open it on Watch It Learn to Spell")).click()
        page.wait_for_url(re.compile(r"/watch\?.*run="), timeout=60_000)
        imported = re.search(r"[?&]run=([A-Za-z0-9_-]+)", page.url).group(1)
        assert imported != token
        page.get_by_text(re.compile(r"Step 200 / 200")).first.wait_for(timeout=60_000)

        # A bad file: its message, no traceback, nothing listed.
        bad = tmp_path / "broken.lbrun"
        bad.write_bytes(b"this is not a run file")
        page.goto(url + "/runs")
        card(page, imported).wait_for(timeout=60_000)
        page.get_by_text("Import a run").click()
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
        page.get_by_text("This file cannot be imported: it is not a run file saved by LLMBreaker").wait_for(
            timeout=60_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert len(cards(page, 2)) == 2

        # Delete, with a confirmation: the card and the run's address are gone.
        victim = card(page, imported)
        victim.get_by_role("button", name=re.compile("Delete")).click()
        page.get_by_text("Its address stops working for everyone").wait_for(timeout=30_000)
        page.get_by_role("button", name=re.compile("Delete for good")).click()
        victim.wait_for(state="detached", timeout=30_000)
        assert cards(page, 1) == ["Before class · Poems"]
        page.goto(url + f"/watch?run={imported}")
        page.get_by_text("There is no run at this address").wait_for(timeout=60_000)
        assert unexpected_console_errors(page) == [] and unexpected_console_errors(other) == []
