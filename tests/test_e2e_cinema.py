"""Real browser: `streamlit run` + headless Chromium on the Attention Evolution Cinema page, opened
directly at /cinema as a shared link would be.

How the charts are checked. Streamlit draws a Vega-Lite chart with more than 2,000 data points on a
<canvas> (a trained heatmap on the 64-character probe has 2,080 cells), so heatmap titles and axis
labels are pixels, not DOM text. Instead of reading pixels, every page gets a small init script
(`TEXT_RECORDER`) that wraps CanvasRenderingContext2D.fillText and keeps, on each canvas element,
what was written on it: the text, its font and where (page-independent canvas coordinates). The app
is untouched; the recorder only watches what Vega really drew. So "the titles are visible" means:
the chart element is visible, holds a canvas or svg, and Vega wrote the title on that canvas (or in
that svg); "the axes carry the probe's characters" means: the x-axis labels Vega wrote, left to
right, spell the probe text the page prints under the heatmap ("Probe text: ...").

Console: Streamlit's frontend probes /cinema/_stcore/health (and host-config) on a deep link and
the browser logs those 404s as "Failed to load resource: ... 404 (Not Found)"; exactly that message
is ignored, any other console error fails the test.
"""
import re

import pytest

from browser import ARTIFACTS
from conftest import open_browser_page, unexpected_console_errors

pytestmark = pytest.mark.e2e

HEADS = ["Layer 1 · Head 1", "Layer 1 · Head 2", "Layer 2 · Head 1", "Layer 2 · Head 2"]
STEPS, INTERVAL = 600, 100

TEXT_RECORDER = """
(() => {
  const fillText = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (text, x, y, ...rest) {
    const m = this.getTransform();
    (this.canvas.__drawn ||= []).push({text: String(text), font: this.font,
      x: m.a * x + m.c * y + m.e, y: m.b * x + m.d * y + m.f});
    return fillText.call(this, text, x, y, ...rest);
  };
})();
"""


@pytest.fixture
def page(server):
    # Tall enough for the whole overview grid or detail heatmap; the recorder sees what Vega writes.
    yield from open_browser_page(height=2500, init_script=TEXT_RECORDER)


def open_cinema(page, server):
    page.goto(server + "/cinema")  # a shared link straight to the page
    page.get_by_text("Attention Evolution Cinema").first.wait_for(timeout=60_000)
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=60_000)  # the idle grid


def train(page, steps, interval):
    """Settings as a person would set them, speed max, Play, and wait for the end of the run."""
    page.get_by_text("Model and training settings").click()
    for label, value in (("Training steps", steps), ("Checkpoint every (steps)", interval)):
        box = page.get_by_role("spinbutton", name=label, exact=True)  # not the "Help for ..." button
        box.fill(str(value))
        box.press("Enter")
        page.wait_for_function("([label, value]) => document.querySelector(`input[aria-label='${label}']`)"
                               "?.value === String(value)", arg=[label, value])
    page.locator('[data-testid="stButtonGroup"] button', has_text=re.compile(r"^max$")).click()
    page.get_by_role("button", name=re.compile(r"^(play_arrow)?\s*Play$")).click()
    done = page.get_by_text(re.compile(rf"Step {steps:,} / {steps:,} · completed in [\d.]+ s"))
    done.wait_for(timeout=120_000)
    print("browser run:", done.first.inner_text())
    page.get_by_role("button", name=re.compile(r"Replay$")).wait_for(timeout=10_000)


def drawn_texts(chart):
    """What Vega wrote in one stVegaLiteChart: fillText calls on its canvas, or its svg <text>."""
    return chart.evaluate("""e => {
        const c = e.querySelector('canvas');
        if (c) return (c.__drawn || []).map(d => ({text: d.text, font: d.font, x: d.x, y: d.y}));
        return [...e.querySelectorAll('svg text')].map(t => {
            const b = t.getBBox(); return {text: t.textContent, font: getComputedStyle(t).font, x: b.x, y: b.y}; });
    }""")


def axis_labels(texts, font="12px monospace"):
    """The detail heatmap's x labels (one row: same y) left to right and y labels (one column: same
    x) top to bottom, each position once (Vega may repaint a label)."""
    labels = [t for t in texts if t["font"] == font]
    rows = {}
    for t in labels:
        rows.setdefault(round(t["y"], 1), {})[round(t["x"], 1)] = t["text"]
    cols = {}
    for t in labels:
        cols.setdefault(round(t["x"], 1), {})[round(t["y"], 1)] = t["text"]
    x_row = max(rows.values(), key=len)
    y_col = max(cols.values(), key=len)
    return ([x_row[k] for k in sorted(x_row)], sorted(y_col), [y_col[k] for k in sorted(y_col)])


def open_buttons(page):
    # A selectbox also carries an accessible "open" control: only real st.button buttons count. By
    # role, so hidden copies are left out: Streamlit 1.67 keeps a second, hidden <button> next to
    # each button with help text (not displayed), which a plain CSS locator also finds.
    return page.locator('[data-testid="stButton"]').get_by_role("button", name=re.compile(r"Open$"))


def test_shared_link_train_then_overview_detail_and_3d(page, server):
    open_cinema(page, server)
    train(page, STEPS, INTERVAL)
    page.get_by_text(f"Step {STEPS} · checkpoint 7 of 7").wait_for(timeout=10_000)

    # Overview: four heatmaps, each titled, drawn, with its Open button; the entropy chart too.
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.nth(4).wait_for(timeout=20_000)
    assert charts.count() >= 4
    drawn = [c for c in charts.all() if c.locator("canvas, svg").count() >= 1]
    assert len(drawn) >= 4, f"only {len(drawn)} charts hold a canvas or svg"
    # Heatmap i (row-major) carries title HEADS[i]. Not just "somewhere on the page": the entropy
    # chart below the grid names every head in its legend too.
    page.wait_for_function("""names => {
        const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
        return names.every((n, i) => {
            const c = charts[i] && charts[i].querySelector('canvas');
            return c && (c.__drawn || []).some(d => d.text === n);
        });
    }""", arg=HEADS, timeout=20_000)
    for i, name in enumerate(HEADS):
        chart = charts.nth(i)
        assert name in [t["text"] for t in drawn_texts(chart)], f"heatmap {i} is not titled {name}"
        assert chart.is_visible(), f"the heatmap {name} is not visible"
        box = chart.bounding_box()
        assert box["width"] > 100 and box["height"] > 100, f"the heatmap {name} is only {box}"
    assert open_buttons(page).count() == 4
    for name in HEADS:  # "What the heads learned" has a sentence on every head
        assert page.locator("li").filter(has_text=re.compile(rf"^{name} ")).first.is_visible(), name
    page.mouse.move(0, 0)  # no hover tooltip (Play's help) over the page in the screenshot
    page.screenshot(path=str(ARTIFACTS / "cinema-overview.png"), full_page=True)

    # Detail of Layer 1 · Head 1, opened from its button (the first in the row-major grid).
    open_buttons(page).first.click()
    probe_line = page.get_by_text(re.compile(r"^Probe text: "))
    probe_line.wait_for(timeout=20_000)
    probe = re.match(r"Probe text: (.*) · ␣ = space, ↵ = new line$", probe_line.inner_text()).group(1)
    assert len(probe) == 64, probe
    detail = page.locator('[data-testid="stVegaLiteChart"]').first
    page.wait_for_function("""() => {
        const e = document.querySelector('[data-testid="stVegaLiteChart"]');
        const c = e && e.querySelector('canvas');
        const texts = c ? (c.__drawn || []).map(d => d.text) : [...(e ? e.querySelectorAll('svg text') : [])].map(t => t.textContent);
        return texts.includes('Key: the character looked at');
    }""", timeout=20_000)
    texts = drawn_texts(detail)
    words = [t["text"] for t in texts]
    assert f"Layer 1 · Head 1 · step {STEPS}" in words, "the detail is not Layer 1 · Head 1 at the last step"
    assert "Key: the character looked at" in words and "Query: the character doing the looking" in words
    x_labels, _, y_labels = axis_labels(texts)
    assert "".join(x_labels) == probe, f"x-axis labels {''.join(x_labels)!r} are not the probe {probe!r}"
    assert "".join(y_labels) == probe, f"y-axis labels {''.join(y_labels)!r} are not the probe {probe!r}"
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / "cinema-detail.png"), full_page=True)
    detail.screenshot(path=str(ARTIFACTS / "cinema-detail-heatmap.png"))

    # 3D: the same head as pydeck columns on a WebGL canvas.
    page.locator('[data-testid="stButtonGroup"] button', has_text=re.compile(r"^3D$")).click()
    page.locator('[data-testid="stDeckGlJsonChart"] canvas').first.wait_for(timeout=20_000)
    page.get_by_text("Layer 1 · Head 1 in 3D").wait_for(timeout=10_000)
    assert page.get_by_text("The 3D view is not available here").count() == 0
    page.wait_for_timeout(1500)  # let deck.gl paint its first frame
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / "cinema-3d.png"), full_page=True)

    assert unexpected_console_errors(page) == [], unexpected_console_errors(page)


def test_zero_attention_is_drawn_white_as_the_legend_and_caption_say(page, server):
    """The idle grid (before Play) is all zeros. The page's legend starts at white (#FFFFFF), its
    caption says "White = no attention" and the SVG download paints 0 as #ffffff. The idle grid has
    351 cells per heatmap, so Vega draws SVG and each cell's fill can be read."""
    open_cinema(page, server)
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.locator('svg path[aria-label*="; Attention: 0;"]').first.wait_for(timeout=20_000)
    fills = set(chart.locator('svg path[aria-label*="; Attention: 0;"]').evaluate_all(
        "els => els.map(e => e.getAttribute('fill'))"))
    page.screenshot(path=str(ARTIFACTS / "cinema-idle.png"), full_page=True)
    # White, as the legend and the caption say (Vega-Lite's default HCL interpolation drew 0 light cyan).
    assert fills == {"rgb(255, 255, 255)"}, f"cells with attention 0 are drawn {fills}"
    assert unexpected_console_errors(page) == [], unexpected_console_errors(page)


def test_detail_axis_labels_do_not_overlap(page, server):
    """In Detail, every row of the 64 x 64 heatmap has its character on the y axis, in a 12 px
    monospace font. A label overlaps its neighbours when rows are less than 12 px apart."""
    open_cinema(page, server)
    train(page, 100, 50)
    open_buttons(page).first.click()
    page.get_by_text(re.compile(r"^Probe text: ")).wait_for(timeout=20_000)
    page.wait_for_function("""() => {
        const c = document.querySelector('[data-testid="stVegaLiteChart"] canvas');
        return c && (c.__drawn || []).some(d => d.text === 'Key: the character looked at');
    }""", timeout=20_000)
    detail = page.locator('[data-testid="stVegaLiteChart"]').first
    x_labels, y_positions, y_labels = axis_labels(drawn_texts(detail))
    assert len(y_labels) == 64 and len(x_labels) == 64
    pitch = (y_positions[-1] - y_positions[0]) / (len(y_positions) - 1)
    detail.screenshot(path=str(ARTIFACTS / "cinema-detail-labels.png"))
    assert pitch >= 12, (f"the detail heatmap's 12 px y-axis labels are {pitch:.1f} px apart and overlap "
                         "(artifacts/cinema-detail-labels.png)")


NO_WEBGL = """
// A browser without WebGL (switched off by policy, old drivers): no context of either kind.
const getContext = HTMLCanvasElement.prototype.getContext;
HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
  if (String(kind).startsWith("webgl") || kind === "experimental-webgl") return null;
  return getContext.call(this, kind, ...rest);
};
"""


@pytest.fixture
def page_without_webgl(server):
    yield from open_browser_page(height=2500, init_script=NO_WEBGL)


def test_3d_falls_back_to_2d_with_a_note_when_the_browser_has_no_webgl(page_without_webgl, server):
    page = page_without_webgl
    open_cinema(page, server)
    train(page, 100, 50)
    page.locator('[data-testid="stButtonGroup"] button', has_text=re.compile(r"^3D$")).click()
    page.get_by_text("The 3D view needs WebGL, which this browser does not offer").wait_for(timeout=30_000)
    page.get_by_text(re.compile(r"^Probe text: ")).wait_for(timeout=20_000)  # the 2D heatmap instead
    assert page.locator('[data-testid="stDeckGlJsonChart"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / "cinema-3d-fallback.png"), full_page=True)
    assert unexpected_console_errors(page) == [], page.console_errors


def test_clicking_a_heatmap_of_the_grid_opens_it_in_detail(page, server):
    open_cinema(page, server)
    train(page, 100, 50)
    cells = page.locator('[data-testid="stVegaLiteChart"]')
    cells.nth(2).wait_for(timeout=20_000)  # Layer 2 · Head 1, the third of the 2 x 2 grid
    box = cells.nth(2).bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.85)  # inside the triangle
    page.get_by_text(re.compile(r"^Probe text: ")).wait_for(timeout=20_000)
    page.wait_for_function("""() => {
        const c = document.querySelector('[data-testid="stVegaLiteChart"] canvas');
        return c && (c.__drawn || []).some(d => d.text.startsWith('Layer 2 · Head 1 · step'));
    }""", timeout=20_000)
    assert unexpected_console_errors(page) == [], page.console_errors
