"""Real browser: nothing is cut (issue 19 point 3). Every page of the sidebar, at a projector's
1280x720 in normal and in workshop mode and on a 390x844 phone, is searched for text that does not
fit: text wider than a box that hides its overflow or ends it with an ellipsis (metric labels,
dropdown values, tab and button labels, page links), a dropdown's value longer than its box, code
lines and table columns that scroll out of sight (at 1280 px), anything past the right edge of the
screen, a chart wider than its column, a chart's text outside the chart or shortened with "…" by
Vega, text of a chart or of the page drawn over other text. The pages that train are checked again
after a short run at max speed (Watch, Cinema in its three views, Mixture of experts, the Lab):
each run's address (?run=...) opens its pictures in every mode.

The checks are in tests/clipping.js. A full-height screenshot of every page in every mode lands in
artifacts/clipping/ (MODE-PAGE.png): look at them.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from browser import ARTIFACTS, CHROMIUM_ARGS, chromium_path
from llmbreaker.ui.common import PAGES

pytestmark = pytest.mark.e2e

CHECKS = (Path(__file__).parent / "clipping.js").read_text()
SHOTS = ARTIFACTS / "clipping"
# mode -> (viewport, address suffix, whether tables and code must fit without scrolling sideways)
MODES = {
    "desktop": ({"width": 1280, "height": 720}, {}, True),
    "workshop": ({"width": 1280, "height": 720}, {"workshop": "1"}, True),
    # On a phone a table or a line of ids wider than the screen scrolls sideways, as they do there.
    "phone": ({"width": 390, "height": 844}, {}, False),
}
IDLE = "() => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState === 'notRunning'"
DRAWN = ("() => [...document.querySelectorAll('[data-testid=stVegaLiteChart], [data-testid=stArrowVegaLiteChart]')]"
         ".every(c => c.querySelector('svg, canvas'))")
PLAY = re.compile(r"^(play_arrow)?\s*Play$")


def with_query(url: str, extra: dict) -> str:
    if not extra:
        return url
    sep = "&" if "?" in url else "?"
    return url + sep + "&".join(f"{k}={v}" for k, v in extra.items())


def settle(pg, timeout: float = 90_000) -> None:
    """Streamlit has finished its script run and every chart is drawn (live pages keep redrawing:
    a quiet moment between two redraws is enough)."""
    pg.wait_for_function(IDLE, timeout=timeout)
    pg.wait_for_function(DRAWN, timeout=timeout)
    pg.wait_for_timeout(600)
    pg.wait_for_function(IDLE, timeout=timeout)


def problems_on(pg, tables: bool, sidebar: bool) -> list[dict]:
    found = pg.evaluate(CHECKS, {"root": '[data-testid="stMain"]', "tables": tables})
    if sidebar:
        found += [dict(p, where="sidebar " + p["where"]) for p in
                  pg.evaluate(CHECKS, {"root": '[data-testid="stSidebar"]', "tables": tables})]
    return found


def full_screenshot(pg, viewport: dict, path: Path) -> None:
    """Streamlit's main area scrolls in its own container: a viewport as tall as the page holds it all."""
    height = pg.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    pg.set_viewport_size({"width": viewport["width"], "height": max(viewport["height"], min(height, 16_000))})
    pg.wait_for_timeout(400)
    pg.screenshot(path=str(path))
    pg.set_viewport_size(viewport)


@pytest.fixture(scope="module")
def browser_page():
    """One Chromium and one tab for the whole module (the machine has two cores: starting a browser
    per page would cost more than the page)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=MODES["desktop"][0])
        yield context.new_page()
        browser.close()


def _train(pg, url: str, done: str) -> str:
    pg.goto(url)
    play = pg.get_by_role("button", name=PLAY)
    play.wait_for(timeout=90_000)
    settle(pg)
    play.click()
    pg.get_by_text(re.compile(done)).first.wait_for(timeout=180_000)
    settle(pg)
    return pg.url


@pytest.fixture(scope="module")
def trained(browser_page, server) -> dict[str, str]:
    """Short runs at max speed on the pages that train; their run addresses (?run=...)."""
    pg = browser_page
    pg.set_viewport_size(MODES["desktop"][0])
    SHOTS.mkdir(parents=True, exist_ok=True)
    done = r"Step ([\d,]+) / \1 · completed"
    runs = {
        page: _train(pg, f"{server}/{page.split('-')[0]}?{prefix}_steps=120&{prefix}_interval=40&{prefix}_speed=max"
                         f"&{prefix}_size=Tiny", done)
        for page, prefix in (("watch-run", "watch"), ("cinema-run", "cinema"), ("moe-run", "moe"))}
    # The Lab: one Tiny run of 300 steps, queued as a person would.
    pg.goto(server + "/lab")
    add = pg.get_by_role("button", name="Add to the comparison")
    add.wait_for(timeout=90_000)
    settle(pg)
    pg.locator('[data-testid="stButtonGroup"] button', has_text=re.compile("^Tiny")).click()
    settle(pg)
    pg.get_by_text("Training", exact=True).click()
    steps = pg.locator(".st-key-lab_steps input[type='range']")
    steps.wait_for(state="attached")
    steps.focus()
    steps.press("Home")
    settle(pg)
    add.click()  # the Lab trains at max speed
    pg.get_by_role("button", name="Remove").first.wait_for(timeout=180_000)
    settle(pg)
    runs["lab-run"] = pg.url
    for name, url in runs.items():
        assert "run=" in url, f"{name}: no run address ({url})"
    return runs


def check_page(pg, mode: str, name: str, url: str, views: tuple[str, ...] = ()) -> dict[str, list[dict]]:
    """Open `url` in `mode`, check it (and, for Cinema, each of `views`), screenshot it."""
    viewport, extra, tables = MODES[mode]
    pg.set_viewport_size(viewport)
    pg.goto(with_query(url, extra))
    pg.locator('[data-testid="stMain"] .lb-title, [data-testid="stMain"] h1').first.wait_for(timeout=90_000)
    settle(pg)
    # The sidebar is the same on every page: checked on the first (on a phone it is folded away).
    sidebar = mode != "phone" and name == "landing"
    found = {name: problems_on(pg, tables, sidebar)}
    full_screenshot(pg, viewport, SHOTS / f"{mode}-{name}.png")
    for view in views:
        pg.locator('[data-testid="stButtonGroup"] button', has_text=re.compile(f"^{view}$")).first.click()
        settle(pg)
        pg.wait_for_timeout(1000)  # the 3D view draws in WebGL after its script run
        found[f"{name} · {view}"] = problems_on(pg, tables, False)
        full_screenshot(pg, viewport, SHOTS / f"{mode}-{name}-{view}.png")
    return found


def describe(found: dict[str, list[dict]]) -> str:
    lines = []
    for page, problems in found.items():
        for p in problems:
            lines.append(f"{page}: {p['check']} · {p['where']} · \"{p['text'][:60]}\" · {p['detail']}")
    return "\n".join(lines)


@pytest.mark.parametrize("mode", list(MODES))
def test_no_page_cuts_its_text(browser_page, server, trained, mode):
    pg = browser_page
    SHOTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[dict]] = {}
    started = time.monotonic()
    for key, (_, _, _, path) in PAGES.items():
        found.update(check_page(pg, mode, key, f"{server}/{path}"))
        print(f"{mode} · {key}: {time.monotonic() - started:.0f} s", flush=True)
    for name, url in trained.items():
        views = ("Detail", "3D") if name == "cinema-run" else ()
        found.update(check_page(pg, mode, name, url, views))
    print(f"{mode}: {len(found)} pages and views in {time.monotonic() - started:.0f} s; screenshots in {SHOTS}")
    report = describe(found)
    print(report)
    assert not report, f"text cut or crammed in {mode} mode (screenshots in {SHOTS}):\n{report}"
