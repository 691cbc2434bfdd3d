"""Benchmark: how long a person waits, in a real browser against `streamlit run`.

    python bench/latency.py [--trials 5] [--cinema-speeds 1x max]

1. Play -> first loss point painted (Watch It Learn to Spell, /watch, speed max, Shakespeare): from
   the click on Play to the first draw of the loss chart once the run's first step is shown (the
   progress line leaves "Step 0"; it is drawn just before the chart in the same script run; the
   chart itself is on the page, empty, before Play), with the stages before it: the server handling
   Play, the first per-step losses sent, the step-0 checkpoint, and the script runs in between (full
   reruns and fragment ticks). A fresh browser tab (so a fresh training session) per trial; the first
   trial on the fresh server is a warm-up, printed apart. Median of `--trials`.
2. Checkpoint recorded -> its heatmaps on screen (Attention Evolution Cinema, /cinema, overview
   grid, default Shakespeare run): from the moment the trainer recorded a checkpoint (server side)
   to the moment all four heatmaps of that step were painted (browser side). Every checkpoint of
   one whole run (12) per speed; median over them.

How the times are taken. The server is bench/serve_timed.py: `streamlit run` with a log line
written when Play is handled, a run's first losses are sent, the trainer records a checkpoint and
a script run ends (the app is not changed).
The browser gets an init script that writes down, with `performance.timeOrigin + performance.now()`
(epoch ms): the click on Play; the first loss chart drawn; the first time the page's heading
"Step N · checkpoint k of K" shows each step; and, per chart canvas and animation frame, the first
draw call Vega makes on it and the frame that shows it (the paint). Vega redraws only the changed
part of a canvas, so a new checkpoint repaints a heatmap's cells, not necessarily its title.
Browser and server run on the same machine and read the same wall clock, so their times subtract.

Targets (docs/design.md §Demo): Play -> first loss point <= 0.5 s; checkpoint -> heatmaps painted <= 0.5 s at
every speed. Prints figures only.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import launch_chromium, loadavg, machine, med, read_log, server  # noqa: E402

RECORDER = r"""
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const lb = window.__lb = {click: null, chartEl: null, chart: null, chartPaint: null, firstStep: null,
                            headings: {}, draws: []};
  const chartSeen = () => {
    if (lb.chart !== null) return;
    lb.chart = now();
    requestAnimationFrame(() => { lb.chartPaint = now(); });
  };
  document.addEventListener('click', e => {
    const b = e.target.closest && e.target.closest('button');
    if (b && /(Play|Replay)$/.test(b.innerText.trim())) lb.click = now();
  }, true);
  // Every draw on a chart's canvas (Vega redraws only the dirty part of a canvas, so a new
  // checkpoint's heatmap repaints its cells but not necessarily its title): one record per canvas
  // per animation frame, with the time of its first draw call and of the frame that shows it.
  const mark = canvas => {
    if (canvas.__lbChart === undefined)
      canvas.__lbChart = !!(canvas.closest && canvas.closest('[data-testid="stVegaLiteChart"]'));
    if (!canvas.__lbChart || canvas.__lbPending) return;
    // The loss chart is drawn empty before Play: on a canvas only a draw after the first step is shown
    // can be its first point.
    if (lb.click !== null && lb.firstStep !== null) chartSeen();
    canvas.__lbId ||= Math.random().toString(36).slice(2);
    const rec = {t: now(), paint: null, canvas: canvas.__lbId};
    canvas.__lbPending = rec;
    lb.draws.push(rec);
    requestAnimationFrame(() => { rec.paint = now(); canvas.__lbPending = null; });
  };
  for (const name of ['fill', 'fillRect', 'fillText', 'stroke']) {
    const orig = CanvasRenderingContext2D.prototype[name];
    CanvasRenderingContext2D.prototype[name] = function (...a) { mark(this.canvas); return orig.apply(this, a); };
  }
  new MutationObserver(() => {
    const t = now();
    if (lb.click !== null && lb.chartEl === null &&
        document.querySelector('[data-testid="stMain"] [data-testid="stVegaLiteChart"]')) lb.chartEl = t;
    if (lb.click !== null && lb.chart === null &&
        document.querySelector('[data-testid="stMain"] [data-testid="stVegaLiteChart"] svg g.role-mark > path')) chartSeen();
    if (lb.click !== null && lb.firstStep === null) {
      for (const p of document.querySelectorAll('[data-testid="stMain"] [data-testid="stProgress"]')) {
        if (/Step [1-9][\d,]* \//.test(p.textContent)) { lb.firstStep = t; break; }
      }
    }
    for (const h of document.querySelectorAll('[data-testid="stMain"] h4')) {
      const m = /^Step ([\d,]+) · checkpoint/.exec(h.textContent.trim());
      if (m) { const s = m[1].replace(/,/g, ''); if (!(s in lb.headings)) lb.headings[s] = t; }
    }
  }).observe(document, {subtree: true, childList: true, characterData: true});
})();
"""

PLAY = re.compile(r"^(play_arrow)?\s*Play$")
STOP = re.compile(r"Stop$")


def new_page(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1400, "height": 2500})
    page = ctx.new_page()
    page.add_init_script(RECORDER)
    page.goto(url)
    return ctx, page


def stop_run(page) -> None:
    page.get_by_role("button", name=STOP).click()
    page.get_by_text(re.compile(r"· stopped")).first.wait_for(timeout=30_000)


def play_to_loss(browser, url: str, log_path) -> dict:
    """One trial: fresh tab on /watch at max, click Play, wait for the loss chart and a step > 0."""
    ctx, page = new_page(browser, url + "/watch?watch_speed=max")
    try:
        page.get_by_role("button", name=PLAY).wait_for(timeout=60_000)
        page.wait_for_timeout(800)  # let the page settle (fonts, layout) before the click
        page.get_by_role("button", name=PLAY).click()
        page.wait_for_function("() => window.__lb.chartPaint !== null && window.__lb.firstStep !== null",
                               timeout=60_000, polling=50)
        lb = page.evaluate("() => window.__lb")
        stop_run(page)
    finally:
        ctx.close()
    click = lb["click"] / 1000
    events = [e for e in read_log(log_path) if e["t"] >= click - 1]
    play = next((e["t"] for e in events if e["ev"] == "play"), None)
    losses = next((e["t"] for e in events if e["ev"] == "first_losses"), None)
    ckpt0 = next((e for e in events if e["ev"] == "checkpoint" and e["step"] == 0), None)
    # The first loss point on screen: the first data mark in the loss chart's SVG (legend symbols
    # are not marks of data), or on a canvas the first draw once the first step is shown, and the
    # animation frame after. The chart is on the page, empty, before Play.
    first = lb["firstStep"] / 1000
    point = lb["chartPaint"] / 1000
    runs = [e for e in events if e["ev"] == "script" and click - 0.05 <= e["t0"] <= (point or first)]
    return {
        "chart_el": None if lb["chartEl"] is None else lb["chartEl"] / 1000 - click,
        "point": None if point is None else point - click,
        "first_step": first - click,
        "server_play": None if play is None else play - click,
        "losses": None if losses is None else losses - click,
        "ckpt0": None if ckpt0 is None else ckpt0["t"] - click,
        "ckpt0_took": None if ckpt0 is None else ckpt0["t"] - ckpt0["t0"],
        "full_runs": sum(not e["fragment"] for e in runs), "ticks": sum(e["fragment"] for e in runs),
    }


def checkpoint_to_heatmap(browser, url: str, log_path, speed: str) -> dict:
    """One default run on /cinema at `speed`; for each checkpoint, server record -> heatmaps painted."""
    ctx, page = new_page(browser, url + ("/cinema" if speed == "1x" else f"/cinema?cinema_speed={speed}"))
    try:
        page.get_by_role("button", name=PLAY).wait_for(timeout=60_000)
        page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=60_000)
        page.wait_for_timeout(800)
        page.get_by_role("button", name=PLAY).click()
        page.get_by_text(re.compile(r"completed in [\d.]+ s")).first.wait_for(timeout=300_000)
        page.wait_for_timeout(1500)  # the last checkpoint's redraw
        lb = page.evaluate("() => window.__lb")
        done = page.get_by_text(re.compile(r"completed in [\d.]+ s")).first.inner_text()
    finally:
        ctx.close()
    click = lb["click"] / 1000
    ckpts = [e for e in read_log(log_path) if e["ev"] == "checkpoint" and e["t"] >= click - 1]
    rows = []
    for c in ckpts:
        shown = lb["headings"].get(str(c["step"]))
        if shown is None:
            rows.append({"step": c["step"], "heading": None, "painted": None})
            continue
        shown /= 1000
        firsts = {}
        for rec in lb["draws"]:
            t = rec["t"] / 1000
            if t >= shown - 0.005 and rec["canvas"] not in firsts:
                firsts[rec["canvas"]] = (rec["paint"] or rec["t"]) / 1000
        painted = max(firsts.values()) if len(firsts) >= 4 else None
        rows.append({"step": c["step"], "heading": shown - c["t"],
                     "painted": None if painted is None else painted - c["t"], "heatmaps": len(firsts)})
    return {"rows": rows, "done": done}


def fmt(x) -> str:
    return "   -  " if x is None or x != x else f"{x:6.3f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--cinema-speeds", nargs="*", default=["1x", "max"])
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    print(f"machine: {machine()}")
    with server(timed=True) as srv, sync_playwright() as p:
        browser = launch_chromium(p)
        url, log_path = srv["url"], srv["log"]

        print("\n1. Play -> first loss point (/watch, speed max), seconds from the click on Play")
        print("   trial   server got Play   first losses sent   checkpoint 0 recorded (took)   first step shown"
              "   first point painted   script runs before it (full + fragment ticks)")
        trials = []
        for i in range(args.trials + 1):
            r = play_to_loss(browser, url, log_path)
            label = "warm-up" if i == 0 else f"{i:7d}"
            print(f"   {label}      {fmt(r['server_play'])}            {fmt(r['losses'])}             "
                  f"{fmt(r['ckpt0'])} ({fmt(r['ckpt0_took'])})        {fmt(r['first_step'])}             "
                  f"{fmt(r['point'])}            {r['full_runs']} + {r['ticks']}   load {loadavg()}", flush=True)
            if i:
                trials.append(r)
        m_point = med(r["point"] for r in trials)
        print(f"   median of {len(trials)}: first loss point painted {m_point:.3f} s after the click (first losses "
              f"sent at {med(r['losses'] for r in trials):.3f} s, first step shown at "
              f"{med(r['first_step'] for r in trials):.3f} s, checkpoint 0 recorded at "
              f"{med(r['ckpt0'] for r in trials):.3f} s); target <= 0.5 s: {'met' if m_point <= 0.5 else 'NOT met'}")

        print("\n2. Checkpoint recorded (server) -> its four heatmaps painted (/cinema, overview grid)")
        for speed in args.cinema_speeds:
            res = checkpoint_to_heatmap(browser, url, log_path, speed)
            print(f"   speed {speed}: {res['done']}")
            print("     step   heading shown   heatmaps painted")
            for r in res["rows"]:
                print(f"     {r['step']:5d}      {fmt(r['heading'])}          {fmt(r['painted'])}")
            painted = [r["painted"] for r in res["rows"] if r["painted"] is not None]
            m = med(painted)
            print(f"     median of {len(painted)} checkpoints: heading {med(r['heading'] for r in res['rows']):.3f} s, "
                  f"heatmaps painted {m:.3f} s (max {max(painted, default=float('nan')):.3f} s); target <= 0.5 s: "
                  f"{'met' if m <= 0.5 else 'NOT met'}", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
