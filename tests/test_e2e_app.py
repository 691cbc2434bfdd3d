"""Real browser: the app around the pages. Every page renders without errors, in normal and in
workshop mode (screenshots of each land in artifacts/); two pages train at once while the person
walks between them, and both runs complete."""
import re

import pytest

from browser import ARTIFACTS
from conftest import unexpected_console_errors

pytestmark = pytest.mark.e2e

PAGES = [  # (link in the sidebar, words of the page's own subtitle, file name)
    ("Watch It Learn to Spell", "A tiny GPT reads a text one character at a time", "watch"),
    ("Attention Evolution Cinema", "Each head of the model decides", "cinema"),
    ("Style Transfer Speed Run", "Paste a few hundred words of your own writing", "style"),
    ("Architecture Lab", "Switch parts of the transformer off or swap them", "lab"),
    ("The learning journey", "six stations, each one a page", "journey"),
    ("Data and tokens", "Before a model can learn, its text becomes numbers", "tokens"),
    ("Component microscope", "open one layer of the model", "microscope"),
    ("Follow one character", "trip through the model, chapter by chapter", "follow"),
    ("Sampling lab", "Turn the dials and see", "sampling"),
    ("Inside the model", "Where the numbers live", "inside"),
    ("Compare architectures", "side by side: parameters, KV cache and compute", "compare"),
    ("Rotary positions (RoPE)", "by turning pairs of numbers", "rope"),
    ("Scaling laws", "Bigger model or more data?", "scaling"),
    ("Mixture of experts, live", "Each block gets a team of feed-forward experts", "moe"),
]


def sidebar_link(page, title):
    return page.locator('[data-testid="stSidebar"]').get_by_role("link", name=title).first


def no_exception_shown(page):
    return page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.parametrize("workshop", [False, True])
def test_landing_launch_then_every_page_renders_without_errors(page, server, workshop):
    page.goto(server + ("/?workshop=1" if workshop else "/"))
    page.get_by_text("See intelligence emerge in real-time").wait_for(timeout=60_000)
    page.get_by_role("link", name="Launch").click()
    page.get_by_text("A tiny GPT reads a text one character at a time").wait_for(timeout=60_000)  # Watch, Play in view
    toggle = page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"] input').first
    if workshop:
        assert toggle.is_checked(), "?workshop=1 did not turn workshop mode on"
    for title, subtitle, name in PAGES:
        sidebar_link(page, title).click()
        page.get_by_text(subtitle).first.wait_for(timeout=60_000)
        page.get_by_text("What am I looking at?").first.wait_for()
        page.wait_for_timeout(1500)  # charts and fonts settle
        assert no_exception_shown(page), f"{title} shows an exception"
        assert toggle.is_checked() == workshop  # the mode stays on across pages
        # ... and in the address, so that a reload or a copied link keeps it
        page.wait_for_function("on => new URL(location.href).searchParams.get('workshop') === (on ? '1' : null)",
                               arg=workshop, timeout=10_000)
        if name in ("watch", "cinema"):  # a teacher's settings stay reachable in workshop mode too
            assert page.get_by_text("Model and training settings").is_visible()
        page.screenshot(path=str(ARTIFACTS / f"page-{name}{'-workshop' if workshop else ''}.png"), full_page=True)
    if workshop:
        # Workshop mode makes text larger: the page subtitle is drawn bigger than in normal mode.
        size = page.locator(".lb-sub").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 20
        page.reload()  # a reload of the last page keeps the mode
        page.get_by_text("What am I looking at?").first.wait_for(timeout=60_000)
        page.wait_for_function("() => document.querySelector('[data-testid=\"stSidebar\"] [data-testid=\"stCheckbox\"] "
                               "input')?.checked === true", timeout=20_000)
    assert unexpected_console_errors(page) == [], page.console_errors


def test_two_pages_train_at_once_while_the_person_walks_between_them(page, server):
    page.goto(server + "/watch?watch_steps=600&watch_speed=max")
    page.get_by_text(PAGES[0][1]).wait_for(timeout=60_000)
    page.get_by_role("button", name=re.compile(r"^(play_arrow)?\s*Play$")).click()
    page.get_by_text(re.compile(r"Step [\d,]+ / 600 · (training|waiting)")).first.wait_for(timeout=60_000)

    sidebar_link(page, "Attention Evolution Cinema").click()
    page.get_by_text(PAGES[1][1]).first.wait_for(timeout=60_000)
    page.get_by_text("Model and training settings").click()
    box = page.get_by_role("spinbutton", name="Training steps", exact=True)
    box.fill("400")
    box.press("Enter")
    page.wait_for_function("() => document.querySelector(`input[aria-label='Training steps']`)?.value === '400'")
    page.locator('[data-testid="stButtonGroup"] button', has_text=re.compile(r"^max$")).click()
    page.get_by_role("button", name=re.compile(r"^(play_arrow)?\s*Play$")).click()
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("2 active sessions").wait_for(timeout=30_000)  # both train (or wait) at once
    page.screenshot(path=str(ARTIFACTS / "two-sessions.png"), full_page=True)

    sidebar_link(page, "Watch It Learn to Spell").click()  # back while both go on
    page.get_by_text(PAGES[0][1]).first.wait_for(timeout=60_000)
    page.get_by_text(re.compile(r"Step 600 / 600 · completed in")).wait_for(timeout=240_000)
    sidebar_link(page, "Attention Evolution Cinema").click()
    page.get_by_text(re.compile(r"Step 400 / 400 · completed in")).wait_for(timeout=240_000)
    sidebar.get_by_text("0 active sessions").wait_for(timeout=30_000)
    assert sidebar.locator(".lb-state.completed").count() == 2
    # The watch run kept everything it drew while the person looked elsewhere.
    sidebar_link(page, "Watch It Learn to Spell").click()
    page.locator(".lb-row[data-step='600']").wait_for(timeout=30_000)
    assert no_exception_shown(page)
    assert unexpected_console_errors(page) == [], page.console_errors
