"""Real browser: a closed tab's run gives its trainer back within the grace period, so the person
waiting in line behind it starts training (on a server capped at one trainer, as a busy class
server is once every trainer is taken)."""
import re
import time

import pytest

from browser import ARTIFACTS, CHROMIUM_ARGS, chromium_path, streamlit_server
from llmbreaker.engine.session import AWAY_GRACE_SECONDS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# 10,000 steps at 1x take about two minutes: far longer than the grace period, so only the closed
# tab's absence can free the trainer in time.
LONG_RUN = "/watch?watch_steps=10000&watch_interval=100&watch_speed=1x"
PLAY = re.compile(r"^(play_arrow)?\s*Play$")


@pytest.fixture(scope="module")
def one_trainer_server():
    ARTIFACTS.mkdir(exist_ok=True)
    with streamlit_server(env={"LLMBREAKER_MAX_TRAINERS": "1"}) as url:
        yield url


def open_and_play(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(url + LONG_RUN)
    page.get_by_role("button", name=PLAY).click(timeout=60_000)
    return page


def test_a_closed_tabs_run_frees_its_trainer_within_the_grace_period(one_trainer_server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            first = open_and_play(browser, one_trainer_server)
            first.get_by_text(re.compile(r"Step [\d,]+ / 10,000 · training")).wait_for(timeout=60_000)
            second = open_and_play(browser, one_trainer_server)
            second.get_by_text(re.compile(r"Step 0 / 10,000 · waiting for a free trainer \(1 in line\)")).wait_for(timeout=60_000)
            assert second.get_by_text("Preparing the model").count() == 0  # in line: nothing else claimed
            sidebar = second.locator('[data-testid="stSidebar"]')
            sidebar.get_by_text("This server: 1 of 1 trainer busy · 1 waiting").wait_for(timeout=10_000)
            second.screenshot(path=str(ARTIFACTS / "presence-waiting.png"), full_page=True)

            first.close()  # the person closes the tab mid-run
            closed = time.monotonic()
            second.get_by_text(re.compile(r"Step [\d,]+ / 10,000 · (preparing the model|training)")).wait_for(
                timeout=(AWAY_GRACE_SECONDS + 15) * 1000)
            freed_after = time.monotonic() - closed
            print(f"the closed tab's trainer went to the next in line after {freed_after:.1f} s")
            assert freed_after <= AWAY_GRACE_SECONDS + 15
            sidebar.get_by_text("This server: 1 of 1 trainer busy · 0 waiting").wait_for(timeout=10_000)
            second.screenshot(path=str(ARTIFACTS / "presence-freed.png"), full_page=True)
            assert second.locator('[data-testid="stException"]').count() == 0
        finally:
            browser.close()
