"""Real browser: a Watch It Learn run outlasts a reload and travels by its address (docs/design.md §Runs).
Train a short run; reload while it trains and rejoin it live, with its controls; after it ends,
open its address in a second browser (another context: other cookies, another person) and see it
read-only. The server's store is the tests' temporary database (conftest sets LLMBREAKER_DB_URL)."""
import re

import pytest

from browser import ARTIFACTS, CHROMIUM_ARGS, chromium_path
from conftest import unexpected_console_errors

pytestmark = pytest.mark.e2e

STEPS = 600  # at 1x about 7 s: long enough to reload mid-run, short for the suite
PLAY = re.compile(r"^(play_arrow)?\s*Play$")


@pytest.fixture
def browser(server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_page(browser):
    pg = browser.new_context(viewport={"width": 1400, "height": 1900}).new_page()
    pg.console_errors = []
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    return pg


def test_a_run_survives_a_reload_and_opens_read_only_in_another_browser(browser, server):
    page = new_page(browser)
    page.goto(server + f"/watch?watch_dataset=Poems&watch_steps={STEPS}&watch_interval=200")
    page.get_by_text("Watch It Learn to Spell").first.wait_for(timeout=60_000)
    page.get_by_role("button", name=PLAY).click()
    page.wait_for_url(re.compile(r"[?&]run=[A-Za-z0-9_-]{16,}"), timeout=60_000)
    token = re.search(r"[?&]run=([A-Za-z0-9_-]+)", page.url).group(1)
    page.get_by_text(re.compile(rf"Step [\d,]+ / {STEPS:,} · training")).first.wait_for(timeout=60_000)

    # Reload mid-run: the same browser rejoins the run live, with its controls.
    page.reload()
    page.get_by_role("button", name=re.compile(r"Pause$")).wait_for(timeout=60_000)
    assert token in page.url
    page.get_by_text(re.compile(rf"Step {STEPS:,} / {STEPS:,} · completed in")).wait_for(timeout=120_000)
    page.get_by_role("button", name=re.compile(r"Replay$")).wait_for(timeout=20_000)
    rows = page.locator(".lb-row").count()
    assert rows == 4  # steps 0, 200, 400, 600
    page.screenshot(path=str(ARTIFACTS / "watch-store-owner.png"), full_page=True)

    # Reload after the end: the same run again.
    page.reload()
    page.get_by_text(re.compile(rf"Step {STEPS:,} / {STEPS:,} · completed in")).wait_for(timeout=60_000)
    page.locator(".lb-row[data-step='600']").wait_for(timeout=30_000)
    assert page.locator(".lb-row").count() == rows

    # Another browser opens the address: the run, read-only.
    friend = new_page(browser)
    friend.goto(server + f"/watch?run={token}")
    friend.get_by_text("Anyone with this page's address can view this run").first.wait_for(timeout=60_000)
    friend.get_by_text(re.compile(rf"Step {STEPS:,} / {STEPS:,} · completed in")).wait_for(timeout=30_000)
    friend.locator(".lb-row[data-step='600']").wait_for(timeout=30_000)
    assert friend.locator(".lb-row").count() == rows
    friend.get_by_role("button", name="Train your own copy").wait_for()
    for name in (PLAY, re.compile(r"Stop$"), re.compile(r"Pause$")):  # nothing that trains
        assert friend.get_by_role("button", name=name).count() == 0
    assert friend.locator('[data-testid="stSelectbox"]').count() == 0  # nor the text and settings
    friend.screenshot(path=str(ARTIFACTS / "watch-store-viewer.png"), full_page=True)

    # The friend replays it: from step 0 the samples unfold again, at the recorded pace (here 5x).
    friend.get_by_text("5x", exact=True).last.click()
    friend.get_by_role("button", name=re.compile(r"Replay$")).click()
    friend.get_by_text(re.compile(r"replay at 5x · \d+ s of \d+ s recorded")).wait_for(timeout=30_000)
    friend.wait_for_function(f"() => document.querySelectorAll('.lb-row').length < {rows}", timeout=30_000)
    friend.screenshot(path=str(ARTIFACTS / "watch-store-replay.png"), full_page=True)
    friend.get_by_text(re.compile(rf"Step {STEPS:,} / {STEPS:,} · completed in")).wait_for(timeout=60_000)
    # (the progress line is drawn before the sample rows of the same tick: wait for the rows, then
    # check there are exactly as many as recorded)
    friend.wait_for_function(f"() => document.querySelectorAll('.lb-row').length >= {rows}", timeout=30_000)
    assert friend.locator(".lb-row").count() == rows

    # The owner plays back their own run too ("Watch it again"), then comes back to it.
    page.get_by_role("button", name=re.compile(r"Watch it again$")).click()
    page.get_by_text("Playing back your run").wait_for(timeout=30_000)
    page.get_by_role("button", name=re.compile(r"End$")).click()
    page.get_by_role("button", name=re.compile(r"Back to your run$")).click()
    page.get_by_role("button", name=re.compile(r"Replay$")).wait_for(timeout=30_000)  # its training controls
    assert token in page.url

    # A wrong token: a message and a way on, no traceback.
    friend.goto(server + "/watch?run=not-a-real-token-at-all")
    friend.get_by_text("There is no run at this address").wait_for(timeout=60_000)
    assert friend.locator('[data-testid="stException"]').count() == 0
    assert unexpected_console_errors(page) == [] and unexpected_console_errors(friend) == []


def test_after_a_server_restart_a_finished_run_is_there_and_one_that_trained_reads_interrupted(browser, tmp_path):
    from browser import streamlit_server

    env = {"LLMBREAKER_DB_URL": f"sqlite:///{tmp_path / 'restart.db'}"}  # this test's own store
    with streamlit_server(env=env) as url:
        page = new_page(browser)
        page.goto(url + "/watch?watch_dataset=Poems&watch_steps=200&watch_interval=100&watch_speed=max")
        page.get_by_role("button", name=PLAY).click()
        page.get_by_text(re.compile(r"Step 200 / 200 · completed in")).wait_for(timeout=120_000)
        finished = re.search(r"[?&]run=([A-Za-z0-9_-]+)", page.url).group(1)
        # A second run, slow enough (1x, 5,000 steps) to be training when the server stops.
        page.goto(url + "/watch?watch_dataset=Poems&watch_steps=5000&watch_interval=100")
        page.get_by_role("button", name=PLAY).click()
        page.wait_for_function(f"() => location.search.includes('run=') && !location.search.includes('{finished}')",
                               timeout=60_000)
        training = re.search(r"[?&]run=([A-Za-z0-9_-]+)", page.url).group(1)
        page.locator(".lb-row[data-step='100']").wait_for(timeout=120_000)  # it has a checkpoint past 0
        page.close()
    with streamlit_server(env=env) as url:
        page = new_page(browser)
        page.goto(url + f"/watch?run={finished}")
        page.get_by_text(re.compile(r"Step 200 / 200 · completed in")).wait_for(timeout=60_000)
        page.locator(".lb-row").nth(2).wait_for(timeout=30_000)  # drawn just after the progress line
        assert page.locator(".lb-row").count() == 3
        page.goto(url + f"/watch?run={training}")
        page.get_by_text(re.compile(r"interrupted at step [\d,]+")).wait_for(timeout=60_000)
        page.get_by_role("button", name="Train your own copy").wait_for()
        assert page.locator(".lb-row[data-step='100']").count() == 1
        assert unexpected_console_errors(page) == []
