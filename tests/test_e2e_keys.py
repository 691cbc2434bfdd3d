"""Real browser: a presenter's keys on a 1280 x 720 projector in workshop mode. Space plays and
pauses, Right runs one step, the focus is seen and stays on the control bar, and a space typed in a
text box stays in the text box."""
import re

import pytest

from browser import ARTIFACTS
from conftest import unexpected_console_errors

pytestmark = pytest.mark.e2e

PROGRESS = re.compile(r"Step ([\d,]+) / ([\d,]+) · (\w+)")
# Where the focus is: "body", or the label of the focused button and whether it is in a control bar.
FOCUS = """() => {
  const a = document.activeElement;
  if (!a || a === document.body) return {where: 'body'};
  const s = getComputedStyle(a);
  return {where: a.closest('[class*="_lbcontrols"]') ? 'bar' : 'elsewhere', tag: a.tagName,
          label: (a.querySelector('p') || a).textContent.trim(), visible: a.matches(':focus-visible'),
          ring: parseFloat(s.outlineWidth), color: s.outlineColor};
}"""


def progress(page) -> tuple[int, str]:
    text = page.locator('[data-testid="stProgress"]').first.inner_text()
    m = PROGRESS.search(text)
    return (int(m.group(1).replace(",", "")), m.group(3)) if m else (0, text)


def wait_state(page, word: str, timeout=60_000):
    page.wait_for_function(
        """w => [...document.querySelectorAll('[data-testid="stProgress"]')].some(
             e => new RegExp('Step [\\\\d,]+ / [\\\\d,]+ · ' + w).test(e.innerText))""",
        arg=word, timeout=timeout)


def wait_focus_on(page, label: str, timeout=20_000):
    page.wait_for_function(
        """l => { const a = document.activeElement;
                  return !!a && !!a.closest('[class*="_lbcontrols"]') && (a.querySelector('p') || a).textContent.trim() === l; }""",
        arg=label, timeout=timeout)


def open_watch(page, server):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(server + "/watch?workshop=1")
    page.get_by_role("button", name=re.compile(r"^(play_arrow)?\s*Play$")).wait_for(timeout=60_000)
    page.wait_for_function("() => window.__lbKeys === true", timeout=20_000)  # the keys' script is there


def test_space_plays_and_pauses_right_steps_once_and_the_focus_stays_on_the_bar(page, server):
    open_watch(page, server)
    assert page.evaluate(FOCUS)["where"] == "body"  # a fresh page: nothing focused
    page.keyboard.press("Space")
    wait_state(page, "training")
    wait_focus_on(page, "Pause")  # the key's control, seen, and still focused after the page's rerun
    focus = page.evaluate(FOCUS)
    assert focus["visible"] and focus["ring"] >= 3, focus  # a thick ring, seen from the back of a room
    page.screenshot(path=str(ARTIFACTS / "keys-training-1280.png"))
    page.locator(".st-key-watch_lbcontrols").screenshot(path=str(ARTIFACTS / "keys-bar-focus.png"))

    page.keyboard.press("Space")
    wait_state(page, "paused")
    wait_focus_on(page, "Resume")
    step, _ = progress(page)
    page.keyboard.press("ArrowRight")
    page.get_by_text(re.compile(rf"Step {step + 1:,} / [\d,]+ · paused")).first.wait_for(timeout=20_000)
    assert page.evaluate(FOCUS)["where"] == "bar"
    page.keyboard.press("ArrowRight")
    page.get_by_text(re.compile(rf"Step {step + 2:,} / [\d,]+ · paused")).first.wait_for(timeout=20_000)

    # Right while it trains: it pauses, then one step; from there on, one step at a time.
    page.keyboard.press("Space")
    wait_state(page, "training")
    page.keyboard.press("ArrowRight")
    wait_state(page, "paused")
    paused_at, _ = progress(page)
    page.keyboard.press("ArrowRight")
    page.get_by_text(re.compile(rf"Step {paused_at + 1:,} / [\d,]+ · paused")).first.wait_for(timeout=20_000)
    page.locator(".st-key-watch_lbcontrols").screenshot(path=str(ARTIFACTS / "keys-bar-paused.png"))
    page.get_by_role("button", name=re.compile(r"Stop$")).click()
    wait_state(page, "stopped")
    assert unexpected_console_errors(page) == [], page.console_errors


def test_a_click_on_play_keeps_the_focus_on_the_bar_and_space_on_a_focused_stop_stops(page, server):
    open_watch(page, server)
    page.get_by_role("button", name=re.compile(r"^(play_arrow)?\s*Play$")).click()
    wait_state(page, "training")
    wait_focus_on(page, "Pause")  # Pause took Play's place; the focus did not fall to the page
    page.get_by_role("button", name=re.compile(r"Stop$")).focus()
    page.keyboard.press("Space")  # the focused button's own key: Stop, not Pause
    wait_state(page, "stopped")
    wait_focus_on(page, "Replay")  # Stop went grey: the focus moved on to the bar's first button
    assert unexpected_console_errors(page) == [], page.console_errors


def test_a_space_typed_in_a_text_box_stays_there_and_starts_nothing(page, server):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(server + "/style?workshop=1")
    box = page.get_by_role("textbox", name="Your writing")
    box.wait_for(timeout=60_000)
    page.wait_for_function("() => window.__lbKeys === true", timeout=20_000)
    words = " ".join(f"word{i}" for i in range(60))
    box.fill(words)  # enough words: Play can start a run, so its key would start one
    page.locator(".lb-title").click()
    words_metric = page.locator('[data-testid="stMetric"]', has_text="Words")
    words_metric.get_by_text("60", exact=True).wait_for(timeout=30_000)
    play = page.get_by_role("button", name=re.compile(r"^(play_arrow)?\s*Play$"))
    assert play.is_enabled()

    box.click()
    box.press("Control+End")
    page.keyboard.type(" and a few more")  # spaces, typed
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    assert box.input_value() == words + " and a few more "
    page.locator(".lb-title").click()  # the box hands its text to the page: one rerun, after any Play
    words_metric.get_by_text("64", exact=True).wait_for(timeout=30_000)
    assert play.is_visible() and page.get_by_role("button", name=re.compile(r"Pause$")).count() == 0
    assert page.get_by_text(re.compile(r"· training|preparing")).count() == 0  # nothing trains
    assert unexpected_console_errors(page) == [], page.console_errors
