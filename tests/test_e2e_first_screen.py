"""Real browser: in front of a class (issue 19 point 1). On a projector's 1280x720 in workshop mode,
during a run, each live page shows its live pictures on the first screen, with no scrolling: Watch's
loss curve, the latest sample and the next-letter bars; Cinema's heatmaps, every head; the Mixture of
experts page's probe text coloured by expert and its share-per-expert chart; the Style page's two
texts side by side (the person's and what the model writes now); the Lab's loss curves. Streamlit's main area
scrolls in its own container, so "on the first screen" is each picture's box, with the main area at
its top, inside the 720-px viewport. The run is paused once its pictures are drawn (a paused run is
still on screen, settings folded): the boxes are measured on a page that holds still. Screenshots:
artifacts/first-screen-PAGE.png."""
from __future__ import annotations

import re

import pytest

from browser import ARTIFACTS
from test_app_style import EMAIL
from test_e2e_clipping import PLAY, settle

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1280, "height": 720}
# page -> (address, CSS selectors of its live pictures: each must match at least once, every match on
# the first screen). The runs last long enough to be paused while they train, on a busy machine too:
# 0.5x (1x's layout, 50 s a run: a run at 1x, fitted to 25 s, could end while the test waited for its
# pictures), 400 steps, the Style page's 60, the Lab's queue.
LIVE = {
    # (Watch's two charts during a run are the curve and the next-letter bars.)
    "watch": ("/watch?workshop=1&watch_steps=400&watch_interval=50&watch_speed=0.5x",
              ['[data-testid="stVegaLiteChart"]', ".lb-cur"]),
    "cinema": ("/cinema?workshop=1&cinema_steps=400&cinema_interval=50&cinema_speed=0.5x",
               ['[class*="st-key-cinema_cell_"] [data-testid="stVegaLiteChart"]']),
    "moe": ("/moe?workshop=1&moe_steps=400&moe_interval=50&moe_speed=0.5x",
            [".lb-probe", '.st-key-moe_share_now [data-testid="stVegaLiteChart"]']),
    # (during a run the Style page's only text boxes are the two live ones; its results come after it)
    "style": ("/style?workshop=1&style_speed=0.5x", [".lb-side"]),
    "lab": ("/lab?workshop=1", ['[data-testid="stVegaLiteChart"]']),
}
# Every picture of the page is drawn (a heatmap or chart holds its svg or canvas).
DRAWN = """(sels) => sels.every(s => { const els = [...document.querySelectorAll(s)];
  return els.length && els.every(e => !e.matches('[data-testid="stVegaLiteChart"]') || e.querySelector('svg, canvas')); })"""
BOXES = """(sels) => { document.querySelector('[data-testid="stMain"]').scrollTop = 0;
  return sels.map(s => [...document.querySelectorAll(s)].map(e => {
    const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; })); }"""


@pytest.fixture
def projector(server):
    from playwright.sync_api import sync_playwright

    from browser import CHROMIUM_ARGS, chromium_path
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield browser.new_page(viewport=VIEWPORT)
        browser.close()


@pytest.mark.parametrize("name", list(LIVE))
def test_the_live_pictures_are_on_a_projectors_first_screen_in_workshop_mode(projector, server, name):
    pg = projector
    address, pictures = LIVE[name]
    pg.goto(server + address)
    if name == "lab":  # a ready-made experiment: its two runs queue and the first one trains
        start = pg.get_by_role("button", name=re.compile("Run this comparison$")).first
    else:
        start = pg.get_by_role("button", name=PLAY)
    start.wait_for(timeout=90_000)
    settle(pg)
    if name == "style":
        box = pg.get_by_role("textbox", name="Your writing")
        box.fill(EMAIL)
        box.press("Control+Enter")
        pg.get_by_text("Results improve with more text").wait_for(timeout=30_000)  # the text is in
        settle(pg)
    start.click()
    # The pictures are drawn from a checkpoint (a sample, attention, experts, a curve) while the run
    # trains, then the run is paused: still on screen, it holds still.
    pg.get_by_role("button", name=re.compile(r"Pause$")).first.wait_for(timeout=60_000)
    pg.wait_for_function(DRAWN, arg=pictures, timeout=120_000)
    if name == "cinema":  # (its grid is drawn empty before the first checkpoint: wait for one)
        pg.get_by_text(re.compile(r"^Step [\d,]+ · checkpoint \d+ of \d+$")).first.wait_for(timeout=120_000)
    pg.get_by_role("button", name=re.compile(r"Pause$")).first.click()
    pg.get_by_role("button", name=re.compile(r"Resume$")).first.wait_for(timeout=30_000)
    settle(pg)
    assert pg.evaluate(DRAWN, pictures), f"{name}: its pictures went when the run paused"
    pg.mouse.move(0, 0)  # no tooltip over the picture
    pg.screenshot(path=str(ARTIFACTS / f"first-screen-{name}.png"))
    boxes = pg.evaluate(BOXES, pictures)
    for selector, found in zip(pictures, boxes):
        assert found, f"{name}: no {selector} on the page"
        for box in found:
            assert box["top"] >= 0 and box["bottom"] <= VIEWPORT["height"] + 1, (
                f"{name}: {selector} spans {box['top']:.0f}-{box['bottom']:.0f} px, past the first screen of "
                f"{VIEWPORT['height']} px (artifacts/first-screen-{name}.png)")
            assert box["right"] <= VIEWPORT["width"] + 1, f"{name}: {selector} runs past the screen's right edge"
