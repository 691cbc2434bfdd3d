"""Real browser: in the Architecture Lab a person queues a baseline and the same model without
positional embeddings; both train one after the other, and the chart, the cards and the table
compare them."""
import re

import pytest

from browser import ARTIFACTS
from conftest import unexpected_console_errors

pytestmark = pytest.mark.e2e


def test_a_two_run_comparison_shows_both_curves_samples_and_the_table(page, server):
    page.goto(server + "/lab")
    add = page.get_by_role("button", name="Add to the comparison")
    add.wait_for(timeout=60_000)
    option = lambda text: page.locator('[data-testid="stButtonGroup"] button', has_text=re.compile(text))
    option("^Tiny").click()
    page.wait_for_timeout(800)
    page.get_by_text("Training", exact=True).click()  # the expander with the steps
    steps = page.locator(".st-key-lab_steps input[type='range']")
    steps.wait_for(state='attached')
    steps.focus()
    steps.press("Home")  # the shortest run: 300 steps
    page.wait_for_timeout(800)
    assert steps.get_attribute("aria-valuetext") == "300"
    add.click()
    page.get_by_text("#1 · baseline").first.wait_for(timeout=30_000)
    option("^none$").click()  # positions: none
    page.wait_for_timeout(800)
    add.click()
    page.get_by_text("#2 · no positions").first.wait_for(timeout=30_000)

    # Both runs finish: each card has its Remove button once its run is over.
    page.get_by_role("button", name="Remove").nth(1).wait_for(timeout=240_000)
    page.wait_for_timeout(1500)
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.wait_for()
    drawn_text = " ".join(chart.locator("text").evaluate_all("els => els.map(e => e.textContent)"))
    assert "#1 · baseline" in drawn_text and "#2 · no positions" in drawn_text  # the legend
    # Two coloured validation curves (and two dashed training curves) are drawn.
    paths = chart.locator("path[aria-roledescription='line mark']")
    assert paths.count() >= 4

    table = page.locator('[data-testid="stTable"]').first  # the numbers (the second: settings, samples)
    table.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "lab-comparison.png"), full_page=True)
    grid = table.text_content()  # every cell, in order (the table wraps its cells: nothing is hidden)
    assert "#1 · baseline" in grid and "#2 · no positions" in grid
    # Each row leads with its validation loss, then training loss; the runs differ by the
    # 64 x 16 position table in parameters.
    losses = re.findall(r"#\d · [a-z ]+?(\d\.\d{1,3})(\d\.\d{1,3})", grid)
    assert len(losses) == 2, grid
    assert "8528" in grid.replace(",", "") and "7504" in grid.replace(",", "")
    # Each card shows what its model writes, and its validation loss.
    cards = page.get_by_text(re.compile(r"Step 300 / 300 · done · validation loss \d\.\d\d"))
    assert cards.count() == 2
    assert unexpected_console_errors(page) == []
