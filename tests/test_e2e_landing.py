"""Real browser: the landing page at "/" comes alive (its canvas animates, or stands still when the
person asked for reduced motion), Launch opens Watch with Play on its first screen, the journey is one
click away too, and workshop mode turned on there goes with Launch."""
import re

import pytest

from browser import ARTIFACTS
from conftest import unexpected_console_errors

pytestmark = pytest.mark.e2e

CANVAS = "canvas.lb-neural"
# The canvas's pixels as a data URL (to compare two moments) and how many of them are drawn.
PIXELS = f"() => document.querySelector('{CANVAS}').toDataURL()"
INK = f"""() => {{
  const c = document.querySelector('{CANVAS}');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
}}"""


def open_landing(page, server):
    page.set_viewport_size({"width": 1400, "height": 900})  # a projector's first screen
    page.goto(server)
    page.get_by_role("heading", name="LLMBreaker").wait_for(timeout=60_000)
    page.get_by_text("See intelligence emerge in real-time").wait_for()
    page.wait_for_function(f"() => document.querySelector('{CANVAS}')?.width > 0")
    page.wait_for_timeout(1200)  # the fade-in is over


def test_the_landing_page_comes_alive_and_launch_leads_to_play_in_one_click(page, server):
    open_landing(page, server)
    assert page.locator('[data-testid="stSidebar"]').is_hidden()  # nothing distracts from Launch
    box = page.locator(CANVAS).bounding_box()
    assert box == {"x": 0, "y": 0, "width": 1400, "height": 900}  # the whole viewport, behind the content
    first = page.evaluate(PIXELS)
    page.wait_for_timeout(500)
    assert page.evaluate(PIXELS) != first  # the network moves
    assert page.evaluate(INK) > 10_000
    page.screenshot(path=str(ARTIFACTS / "landing.png"))

    page.locator('[data-testid="stMain"]').evaluate("main => main.scrollTo(0, main.scrollHeight)")
    for title in ("Watch It Learn to Spell", "Attention Evolution Cinema", "Style Transfer Speed Run",
                  "Inside the model"):
        assert page.get_by_role("link", name=title).is_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "landing-cards.png"))

    page.set_viewport_size({"width": 1920, "height": 1080})
    page.locator('[data-testid="stMain"]').evaluate("main => main.scrollTo(0, 0)")
    page.wait_for_timeout(1000)
    assert page.locator(CANVAS).bounding_box()["width"] == 1920  # follows the window
    page.screenshot(path=str(ARTIFACTS / "landing-1920.png"))

    assert page.get_by_role("link", name="See the whole journey").is_visible()  # beside Launch
    page.get_by_role("link", name="Launch").click()
    page.get_by_text("A tiny GPT reads a text one character at a time").wait_for(timeout=60_000)
    assert page.url.rstrip("/").endswith("/watch")
    assert page.locator('[data-testid="stSidebar"]').is_visible()  # the app's own pages keep it
    assert page.locator(CANVAS).count() == 0  # the background went with the landing page
    play = page.get_by_role("button", name=re.compile(r"^(play_arrow)?\s*Play$"))
    play.wait_for()
    assert play.bounding_box()["y"] + play.bounding_box()["height"] < 1080  # on the first screen: one click
    assert unexpected_console_errors(page) == [], page.console_errors


def test_the_journey_is_one_click_from_the_landing_too(page, server):
    open_landing(page, server)
    page.get_by_role("link", name="See the whole journey").click()
    page.get_by_text("From a text to the next character: six stations").wait_for(timeout=60_000)
    assert page.url.rstrip("/").endswith("/journey")
    assert unexpected_console_errors(page) == [], page.console_errors


def test_workshop_mode_turned_on_on_the_landing_goes_with_launch(page, server):
    page.set_viewport_size({"width": 1280, "height": 720})  # a projector
    page.goto(server)
    switch = page.get_by_text("Workshop mode: large text for a projector")
    switch.wait_for(timeout=60_000)
    page.wait_for_timeout(1200)  # the fade-in is over
    assert switch.bounding_box()["y"] < 720  # on the first screen
    switch.click()
    page.wait_for_function("new URL(location.href).searchParams.get('workshop') === '1'", timeout=20_000)
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / "landing-workshop-1280.png"))
    page.get_by_role("link", name="Launch").click()
    page.get_by_text("A tiny GPT reads a text one character at a time").wait_for(timeout=60_000)
    page.wait_for_function("new URL(location.href).searchParams.get('workshop') === '1'", timeout=20_000)
    assert page.url.split("?")[0].endswith("/watch")
    assert page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"] input').first.is_checked()
    size = page.locator(".lb-sub").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 20  # large text
    assert unexpected_console_errors(page) == [], page.console_errors


def test_with_reduced_motion_the_background_is_one_still_frame(page, server):
    page.emulate_media(reduced_motion="reduce")
    open_landing(page, server)
    first = page.evaluate(PIXELS)
    assert page.evaluate(INK) > 10_000  # drawn
    page.wait_for_timeout(800)
    assert page.evaluate(PIXELS) == first  # and still
    page.emulate_media(reduced_motion="no-preference")  # the person changes their mind
    page.wait_for_timeout(500)
    assert page.evaluate(PIXELS) != first
    assert unexpected_console_errors(page) == [], page.console_errors


def test_a_click_anywhere_on_a_card_opens_its_page(page, server):
    open_landing(page, server)
    page.locator('[data-testid="stMain"]').evaluate("main => main.scrollTo(0, main.scrollHeight)")
    art = page.locator(".lb-art-inside").bounding_box()  # the picture, not the title: the whole card is the link
    page.mouse.click(art["x"] + art["width"] / 2, art["y"] + art["height"] / 2)
    page.get_by_text("every weight of the tiny GPT, counted").wait_for(timeout=60_000)
    assert page.url.rstrip("/").endswith("/inside")
    assert unexpected_console_errors(page) == [], page.console_errors
