"""Real browser: a newcomer walks the learning journey on the bundled default model, from the journey
map to the microscope, through one character's chapters to the sampling lab, with no console errors.
Screenshots of each stop land in artifacts/."""
import re

import pytest

from browser import ARTIFACTS
from conftest import unexpected_console_errors

pytestmark = pytest.mark.e2e


def settle(page, timeout=90_000):
    """Wait until Streamlit has finished the script run the last action started."""
    page.wait_for_timeout(800)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)
    page.wait_for_timeout(800)


def no_exception_shown(page):
    return page.locator('[data-testid="stException"]').count() == 0


def test_the_journey_from_the_map_to_the_microscope_follow_and_sampling(page, server):
    page.goto(server + "/journey")
    page.get_by_text("From a text to the next character: six stations").wait_for(timeout=60_000)
    main = page.locator('[data-testid="stMain"]')
    charts = main.locator('[data-testid="stVegaLiteChart"]')
    charts.first.wait_for(timeout=60_000)  # the metro line is drawn
    page.get_by_text("Learning paths").wait_for()
    settle(page)
    assert page.locator(".st-key-journey-start-link").get_by_role("link", name="Watch it learn").is_visible()
    assert "Default model · Shakespeare · step 2,200" in main.inner_text()
    # Hover the ringed station, Training (the 4th of 6 on an x domain of -0.55 to 5.55): its preview.
    box = charts.first.locator("canvas, svg").first.bounding_box()
    x, y = box["x"] + box["width"] * 3.55 / 6.1, box["y"] + box["height"] * 0.35
    page.mouse.move(x, y)
    page.mouse.move(x + 2, y + 1)
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.get_by_text("Press Play: in 25 seconds").wait_for(timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "journey-map.png"))
    page.mouse.move(10, 10)

    # Station 3, "Model": its card links to the microscope.
    page.locator(".st-key-journey-station-model").get_by_role("link", name="Component microscope").click()
    page.get_by_text("Type a few characters and open one layer").wait_for(timeout=60_000)
    page.get_by_text("Check: recomputed step by step").wait_for(timeout=60_000)
    page.get_by_text("Check yourself").wait_for(timeout=60_000)
    settle(page)
    assert page.url.rstrip("/").endswith("/microscope")
    check = re.search(r"at most ([0-9.e+-]+) \(rounding\)", main.inner_text())
    assert check and float(check.group(1)) < 1e-5  # the numbers are the model's own
    assert charts.count() >= 15  # a picture for every step
    assert no_exception_shown(page)
    page.screenshot(path=str(ARTIFACTS / "journey-microscope.png"))

    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("link", name="Follow one character").first.click()
    page.get_by_text("One character's trip through the model, chapter by chapter").wait_for(timeout=60_000)
    page.get_by_text("Chapter 1 of 8").wait_for(timeout=60_000)
    settle(page)
    for n in range(2, 9):
        page.get_by_role("button", name="Next", exact=True).click()
        page.get_by_text(f"Chapter {n} of 8").wait_for(timeout=60_000)
        settle(page)
    assert no_exception_shown(page)
    page.get_by_text("Continue with").wait_for()
    page.get_by_text(re.compile("With your pick")).wait_for(timeout=60_000)
    assert "⟨e⟩" in main.inner_text()  # the model's favourite after "with th", continued
    page.screenshot(path=str(ARTIFACTS / "journey-follow.png"))

    sidebar.get_by_role("link", name="Sampling lab").first.click()
    page.get_by_text("The model gives every character a chance to come next").wait_for(timeout=60_000)
    settle(page)
    page.get_by_role("button", name=re.compile("Generate 200 characters")).click()
    page.get_by_text(re.compile(r"temperature 1 · top-k off · top-p 1")).wait_for(timeout=90_000)
    settle(page)
    assert no_exception_shown(page)
    page.screenshot(path=str(ARTIFACTS / "journey-sampling.png"))
    assert unexpected_console_errors(page) == [], page.console_errors
