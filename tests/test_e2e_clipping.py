"""Real browser: nothing is cut (issue 19 point 3). Every page of the sidebar, at a projector's
1280x720 in normal and in workshop mode and on a 390x844 phone, is searched for text that does not
fit: text wider than a box that hides its overflow or ends it with an ellipsis (metric labels,
dropdown values, tab and button labels, page links), a dropdown's value longer than its box, code
lines and table columns that scroll out of sight (at 1280 px), anything past the right edge of the
screen, a chart wider than its column, a chart's text outside the chart or shortened with "…" by
Vega, text of a chart or of the page drawn over other text. The pages that train are checked again
after a short run at max speed (Watch, Cinema in its three views, Mixture of experts, the Lab):
each is trained once, and its run's address (?run=...) opens it, read-only, in every mode.

The checks are in tests/clipping.js. A full-height screenshot of every page in every mode lands in
artifacts/clipping/ (MODE-PAGE.png): look at them.

Time (the whole CI suite has to stay well under 30 minutes): the short runs train first, alone (one
training per page, 60 steps; the Lab's shortest run), each in a tab of one browser; then the three
modes walk the pages at once, each in two browsers that share its pages (a page load mostly waits on
the server or a chart). Walking while the runs trained in the same server process slowed every page
load: back to back on a busy 2-core machine (load 13-15), the whole test took 132.6 s that way and
110.6 s this way.
Each page is loaded once per mode and waited on by conditions (the script has ended, every chart is
drawn, the page has not changed for a moment), never for a fixed time. Each mode is its own test, so
pytest reports each mode's findings separately.
"""
from __future__ import annotations

import concurrent.futures
import re
import time
from pathlib import Path

import pytest

from browser import ARTIFACTS, CHROMIUM_ARGS, chromium_path
from llmbreaker.ui.shell import PAGES

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
# (A chart a page hides for this width, such as the journey's wide metro line on a phone, is not drawn.)
DRAWN = ("() => [...document.querySelectorAll('[data-testid=stVegaLiteChart], [data-testid=stArrowVegaLiteChart]')]"
         ".every(c => c.querySelector('svg, canvas') || !c.checkVisibility())")
# The page has not changed for 300 ms (a chart drawn after the script run, a redraw at a new size).
QUIET = """() => {
  if (!window.__lbQuiet) {
    window.__lbQuiet = {t: performance.now()};
    new MutationObserver(() => { window.__lbQuiet.t = performance.now(); })
      .observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
  }
  return performance.now() - window.__lbQuiet.t > 300;
}"""
PLAY = re.compile(r"^(play_arrow)?\s*Play$")


def with_query(url: str, extra: dict) -> str:
    if not extra:
        return url
    sep = "&" if "?" in url else "?"
    return url + sep + "&".join(f"{k}={v}" for k, v in extra.items())


def settle(pg, timeout: float = 90_000) -> None:
    """Streamlit has finished its script run, every chart is drawn and the page has stopped changing
    (live pages keep redrawing: a quiet moment between two redraws is enough)."""
    pg.wait_for_function(IDLE, timeout=timeout)
    pg.wait_for_function(DRAWN, timeout=timeout)
    pg.wait_for_function(QUIET, timeout=timeout)
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
    pg.wait_for_function(QUIET)
    pg.screenshot(path=str(path))
    pg.set_viewport_size(viewport)


def _browser(p):
    return p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)


def _start_run(pg, url: str) -> None:
    pg.goto(url)
    play = pg.get_by_role("button", name=PLAY)
    play.wait_for(timeout=90_000)
    settle(pg)
    play.click()


def _start_lab_run(pg, server: str) -> None:
    """The Lab: one Tiny run of its fewest steps (300), queued as a person would (it trains at max speed)."""
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
    add.click()


def train_runs(server: str) -> dict[str, str]:
    """One short run at max speed on each page that trains, each in its own tab of one browser (they
    train side by side, as many at once as the server has trainers); their run addresses (?run=...)."""
    from playwright.sync_api import sync_playwright
    done = r"Step ([\d,]+) / \1 · completed"
    with sync_playwright() as p:
        browser = _browser(p)
        context = browser.new_context(viewport=MODES["desktop"][0])
        tabs = {}
        for page, prefix in (("watch-run", "watch"), ("cinema-run", "cinema"), ("moe-run", "moe")):
            tabs[page] = context.new_page()
            _start_run(tabs[page], f"{server}/{prefix}?{prefix}_steps=60&{prefix}_interval=20&{prefix}_speed=max"
                                   f"&{prefix}_size=Tiny")
        tabs["lab-run"] = context.new_page()
        _start_lab_run(tabs["lab-run"], server)
        runs = {}
        for name, pg in tabs.items():
            if name == "lab-run":
                pg.get_by_role("button", name="Remove").first.wait_for(timeout=240_000)
            else:
                pg.get_by_text(re.compile(done)).first.wait_for(timeout=240_000)
            settle(pg)
            runs[name] = pg.url
        browser.close()
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
    # The sidebar is the same on every page and in both modes at 1280 px (workshop mode grows the
    # main area's text): checked once (on a phone it is folded away).
    sidebar = mode == "desktop" and name == "landing"
    found = {name: problems_on(pg, tables, sidebar)}
    full_screenshot(pg, viewport, SHOTS / f"{mode}-{name}.png")
    for view in views:
        pg.locator('[data-testid="stButtonGroup"] button', has_text=re.compile(f"^{view}$")).first.click()
        settle(pg)  # (the 3D view's canvas is in place once the page is quiet: its layout is what is checked)
        found[f"{name} · {view}"] = problems_on(pg, tables, False)
        full_screenshot(pg, viewport, SHOTS / f"{mode}-{name}-{view}.png")
    return found


def describe(found: dict[str, list[dict]]) -> str:
    lines = []
    for page, problems in found.items():
        for p in problems:
            lines.append(f"{page}: {p['check']} · {p['where']} · \"{p['text'][:60]}\" · {p['detail']}")
    return "\n".join(lines)


def walk(mode: str, server: str, pages: list[tuple[str, str, tuple[str, ...]]]) -> dict[str, list[dict]]:
    """`pages` (name, address, Cinema's views) in `mode`, one after another in a browser of its own."""
    from playwright.sync_api import sync_playwright
    found: dict[str, list[dict]] = {}
    started = time.monotonic()
    with sync_playwright() as p:
        browser = _browser(p)
        pg = browser.new_context(viewport=MODES[mode][0]).new_page()
        for name, url, views in pages:
            found.update(check_page(pg, mode, name, url, views))
            print(f"{mode} · {name}: {time.monotonic() - started:.0f} s", flush=True)
        browser.close()
    return found


WALKERS_PER_MODE = 2  # browsers per mode: a page load mostly waits (on the server, on a chart), rarely computes


@pytest.fixture(scope="module")
def walks(server):
    """The runs train first, alone (pages loaded while the runs trained in the same server process:
    the whole test took 132.6 s against 110.6 s, see the module's docstring), then the three modes walk the pages
    at the same time, each in WALKERS_PER_MODE browsers of their own, each with its own thread
    (Playwright's sync API: one instance per thread); mode -> its findings."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    runs = train_runs(server)
    print(f"runs trained in {time.monotonic() - started:.0f} s", flush=True)
    pages = [(key, f"{server}/{path}", ()) for key, (_, _, _, path) in PAGES.items()]
    pages += [(name, url, ("Detail", "3D") if name == "cinema-run" else ()) for name, url in runs.items()]
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(MODES) * WALKERS_PER_MODE) as pool:
        parts = {mode: [pool.submit(walk, mode, server, pages[i::WALKERS_PER_MODE]) for i in range(WALKERS_PER_MODE)]
                 for mode in MODES}
        found = {mode: {} for mode in MODES}
        for mode, futures in parts.items():
            for future in futures:
                found[mode].update(future.result(timeout=1200))
    print(f"{len(pages)} pages in {len(MODES)} modes checked in {time.monotonic() - started:.0f} s; "
          f"screenshots in {SHOTS}")
    return found


@pytest.mark.parametrize("mode", list(MODES))
def test_no_page_cuts_its_text(walks, mode):
    report = describe(walks[mode])
    print(report)
    assert not report, f"text cut or crammed in {mode} mode (screenshots in {SHOTS}):\n{report}"
