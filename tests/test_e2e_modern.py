"""Real browser: the Compare page with models picked by a person (table, charts, formulas, no
console errors), and the RoPE and Scaling laws pages render their charts."""
import pytest

from browser import ARTIFACTS
from conftest import unexpected_console_errors

pytestmark = pytest.mark.e2e

CHARTS = '[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"]'


# Charts whose Vega view has drawn marks (an SVG or canvas with content), counted in the page.
DRAWN_CHARTS_JS = """[...document.querySelectorAll('.vega-embed')].filter(e => {
        const svg = e.querySelector('svg'); const canvas = e.querySelector('canvas');
        return (svg && svg.querySelectorAll('path, rect, circle, line').length > 5) || (canvas && canvas.width > 0);
    }).length"""


def charts_drawn(page) -> int:
    return page.evaluate(f"() => {DRAWN_CHARTS_JS}")


def wait_for_charts_drawn(page, count: int) -> None:
    """Waits until `count` charts have drawn their marks (a fixed sleep was once too short in CI)."""
    page.wait_for_function(f"() => ({DRAWN_CHARTS_JS}) >= {count}", timeout=60_000)


def test_compare_picks_models_and_draws_table_and_charts(page, server):
    page.goto(server + "/compare")
    page.get_by_text("Compare architectures").first.wait_for(timeout=60_000)
    box = page.get_by_role("combobox", name="Models to compare")
    # Start from nothing: clear the defaults, then pick three models by typing, as a person would.
    page.locator('[data-testid="stMultiSelect"] [aria-label="Clear all"], '
                 '[data-testid="stMultiSelect"] svg[title="Clear all"]').first.click()
    page.get_by_text("Pick two or three models above").wait_for(timeout=30_000)
    for name in ("GPT-3 175B", "LLaMA-2 70B", "Mixtral 8x7B"):
        box.click()
        box.fill(name)
        page.get_by_role("option", name=name, exact=True).click()
        page.wait_for_timeout(400)
    page.keyboard.press("Escape")
    page.get_by_text("Why does LLaMA use GQA?").wait_for(timeout=60_000)
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for()
    wait_for_charts_drawn(page, 5)
    assert charts_drawn(page) >= 5
    code = page.locator('[data-testid="stCode"]').all_inner_texts()
    joined = "\n".join(code)
    assert "Mixtral 8x7B" in joined and "GPT-3 175B" in joined and "2 x 80 layers x 8 KV heads" in joined
    assert page.get_by_role("button", name="Comparison (CSV)").is_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)
    assert unexpected_console_errors(page) == [], page.console_errors


@pytest.mark.parametrize("name, words", [("rope", "Every pair of dimensions is a clock hand"),
                                         ("scaling", "The Chinchilla law")])
def test_rope_and_scaling_pages_render(page, server, name, words):
    page.goto(f"{server}/{name}")
    page.get_by_text(words).wait_for(timeout=60_000)
    wait_for_charts_drawn(page, 2)
    assert charts_drawn(page) >= 2
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert unexpected_console_errors(page) == [], page.console_errors
