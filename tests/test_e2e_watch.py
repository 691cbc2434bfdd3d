"""Real browser: `streamlit run` + headless Chromium. Press Play at max speed on Shakespeare and
check that a person sees the loss chart, the samples turning into words and the next-token bars."""
import re

import pytest

from llmbreaker.engine.trainer import TrainConfig

from browser import ARTIFACTS
from conftest import unexpected_console_errors

pytestmark = pytest.mark.e2e


DEFAULT = TrainConfig()


def test_default_shakespeare_run_at_max_speed_shows_loss_samples_and_probabilities(page, server):
    page.goto(server + "/watch")
    page.get_by_text("Watch It Learn to Spell").first.wait_for(timeout=60_000)
    page.get_by_text("Shakespeare").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "watch-idle.png"), full_page=True)

    page.locator('[data-testid="stButtonGroup"] button', has_text=re.compile(r"^max$")).click()
    page.get_by_role("button", name=re.compile(r"^(play_arrow)?\s*Play$")).click()

    # While it trains: the progress line counts steps and the first checkpoint's row is there.
    # The default run is fitted to 25 s on this machine: at most the default steps.
    page.get_by_text(re.compile(r"Step [\d,]+ / [\d,]+ · training")).first.wait_for(timeout=60_000)
    page.locator(".lb-row[data-step='0']").wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "watch-training.png"), full_page=True)

    done = page.get_by_text(re.compile(r"Step ([\d,]+) / \1 · completed in [\d.]+ s"))
    done.wait_for(timeout=120_000)
    print("browser run:", done.inner_text())
    last = int(re.search(r"Step ([\d,]+)", done.inner_text()).group(1).replace(",", ""))
    assert 100 < last <= DEFAULT.max_steps
    page.get_by_role("button", name=re.compile(r"Replay$")).wait_for(timeout=10_000)
    page.wait_for_timeout(1500)  # let the newest sample finish fading in
    page.screenshot(path=str(ARTIFACTS / "watch-completed.png"), full_page=True)

    charts = page.locator('[data-testid="stVegaLiteChart"]')
    assert charts.count() >= 2  # loss curve + next-token bars
    assert charts.first.locator("canvas, svg").count() >= 1
    rows = page.locator(".lb-row")
    # Step 0, every interval, and the last: a fitted run keeps about as many checkpoints (a refit
    # changes the interval between two of them, which may add one or two).
    assert len(DEFAULT.checkpoint_steps()) - 2 <= rows.count() <= len(DEFAULT.checkpoint_steps()) + 3
    assert page.locator(f".lb-row[data-step='{last}']").count() == 1
    # The last sample is mostly real words of Shakespeare; the first is not.
    last_words = page.locator(f".lb-row[data-step='{last}'] .txt .w").count()
    first_words = page.locator(".lb-row[data-step='0'] .txt .w").count()
    assert last_words >= 10 and last_words > 2 * first_words
    assert "Next letter" in page.content()
    assert unexpected_console_errors(page) == [], page.console_errors


def test_a_shared_link_opens_the_page_with_its_settings_and_notes_a_bad_one(page, server):
    page.goto(server + "/cinema?cinema_dataset=Poems&cinema_speed=max&cinema_steps=400&cinema_lr=9")
    page.get_by_text("Attention Evolution Cinema").first.wait_for(timeout=60_000)
    page.get_by_text("which is not allowed").first.wait_for(timeout=30_000)
    assert "learning rate to '9'" in page.get_by_text("which is not allowed").first.inner_text()
    page.get_by_text("An original collection").first.wait_for()  # the Poems dataset's description
    page.get_by_role("button", name=re.compile(r"^(play_arrow)?\s*Play$")).click()
    page.get_by_text(re.compile(r"Step [\d,]+ / 400 · ")).first.wait_for(timeout=60_000)
    page.get_by_text(re.compile(r"completed in")).first.wait_for(timeout=120_000)  # at max: quick
    assert "cinema_dataset=Poems" in page.url and "cinema_speed=max" in page.url
    assert unexpected_console_errors(page) == [], page.console_errors
