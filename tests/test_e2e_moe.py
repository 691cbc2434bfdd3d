"""Real browser: a short mixture-of-experts run trains from a shared link, and the page shows which
expert read each character, the shares per expert, and total vs active parameters."""
import re

import pytest

from browser import ARTIFACTS
from conftest import unexpected_console_errors

pytestmark = pytest.mark.e2e


def test_a_short_moe_run_shows_its_experts_at_work(page, server):
    page.goto(server + "/moe?moe_steps=200&moe_interval=50&moe_speed=max&moe_size=Tiny")
    page.get_by_text("Each block gets a team of feed-forward experts").wait_for(timeout=60_000)
    page.get_by_role("button", name=re.compile(r"^(play_arrow)?\s*Play$")).click()
    page.get_by_text(re.compile(r"Step 200 / 200 · completed")).wait_for(timeout=180_000)
    page.get_by_text("Which expert reads each character").wait_for()
    page.wait_for_timeout(1500)
    # Every probe character carries the expert it went to, and 8 experts (the default) are named.
    tagged = page.locator('span[title^="expert E"]')
    assert tagged.count() >= 32
    experts = set(tagged.evaluate_all("els => els.map(e => e.title)"))
    assert experts <= {f"expert E{i}" for i in range(1, 9)} and len(experts) >= 2
    metrics = page.locator('[data-testid="stMetric"]').all_inner_texts()
    total = next(m for m in metrics if m.startswith("Total parameters"))
    active = next(m for m in metrics if m.startswith("Active per character"))
    number = lambda text: int(re.sub(r"\D", "", text.split("\n")[-1]))
    assert number(active) < number(total)
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 4  # shares, over time, loss, busiest, balance
    page.screenshot(path=str(ARTIFACTS / "moe.png"), full_page=True)
    assert unexpected_console_errors(page) == []
