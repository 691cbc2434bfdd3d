"""Benchmark: cold start. How long from `streamlit run` to the first page drawn in a browser, and
how long importing the engine takes.

    python bench/cold_start.py [--trials 5]

1. Import time, each in a fresh interpreter (`python -c ...`, wall time of the process), alternating
   in every trial: the bare interpreter (`pass`, the reference), `import torch`, `import streamlit`,
   and the engine, `import llmbreaker.engine.session` (which imports torch). Median of `--trials`. Then once
   `python -X importtime -c "import llmbreaker.engine.session"`: the largest top-level imports.
2. Server start to first page drawn: `python -m streamlit run streamlit_app.py` launched, its
   health check polled every 50 ms, then headless Chromium (already running) opens the page and
   waits until it is drawn: the landing page at "/" (its heading "LLMBreaker"), or Watch It Learn to
   Spell at "/watch" (its Play button). A fresh server per trial, "/" and "/watch" alternating.
   The reference in the same run: a second tab opening the same page on the now-warm server. Also
   the server's RSS after those two visits (memory of one replica before anyone trains).
Prints figures only.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import ROOT, launch_chromium, loadavg, machine, med, rss_mb, server, wait_healthy  # noqa: E402

IMPORTS = {"python (pass)": "pass", "import torch": "import torch", "import streamlit": "import streamlit",
           "import llmbreaker.engine.session": "import llmbreaker.engine.session"}
PLAY = re.compile(r"^(play_arrow)?\s*Play$")


def timed_import(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    return time.perf_counter() - t0


def importtime_top(n: int = 10) -> list[tuple[str, float]]:
    """The largest cumulative import times among the first three levels of the import tree."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import llmbreaker.engine.session"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stderr
    rows = []
    for line in out.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if m and len(m.group(3)) <= 4:  # levels 0-2 (two spaces a level)
            rows.append((m.group(3) + m.group(4), int(m.group(2)) / 1e6))
    return sorted(rows, key=lambda r: -r[1])[:n]


def drawn(page, path: str) -> None:
    if path == "/":
        page.get_by_role("heading", name="LLMBreaker").wait_for(timeout=120_000)
    else:
        page.get_by_role("button", name=PLAY).wait_for(timeout=120_000)


def open_and_time(browser, url: str, path: str) -> float:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        t0 = time.time()
        page.goto(url + path)
        drawn(page, path)
        return time.time() - t0
    finally:
        page.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()

    print(f"machine: {machine()}")
    print("\n1. import time, fresh interpreter each, seconds (trials alternate the four)")
    times = {k: [] for k in IMPORTS}
    for _ in range(args.trials):
        for name, code in IMPORTS.items():
            times[name].append(timed_import(code))
    base = med(times["python (pass)"])
    for name, xs in times.items():
        print(f"  {name:28s} median {med(xs):6.3f} s  (minus the bare interpreter: {med(xs) - base:6.3f} s)  "
              f"[{', '.join(f'{x:.2f}' for x in xs)}]")
    print("  python -X importtime -c 'import llmbreaker.engine.session', largest cumulative imports (indented: "
          "imported by the one above):")
    for mod, s in importtime_top():
        print(f"    {mod:36s} {s:6.3f} s")

    from playwright.sync_api import sync_playwright

    print("\n2. `streamlit run` to the first page drawn (fresh server per trial), seconds")
    print("  trial  page     start->health   start->drawn   open->drawn (cold)   open->drawn (warm, 2nd tab)   "
          "server RSS")
    res = {"/": [], "/watch": []}
    with sync_playwright() as p:
        browser = launch_chromium(p)
        for i in range(args.trials):
            for path in (["/", "/watch"] if i % 2 == 0 else ["/watch", "/"]):
                with server(wait=False) as srv:
                    healthy = wait_healthy(srv["url"], srv["proc"], every=0.05)
                    cold = open_and_time(browser, srv["url"], path)
                    done = time.time()
                    warm = open_and_time(browser, srv["url"], path)
                    rss = rss_mb(srv["proc"].pid)
                r = {"health": healthy - srv["started"], "drawn": done - srv["started"], "cold": cold, "warm": warm,
                     "rss": rss}
                res[path].append(r)
                print(f"  {i + 1:5d}  {path:7s}      {r['health']:6.2f}          {r['drawn']:6.2f}          "
                      f"{r['cold']:6.2f}              {r['warm']:6.2f}              {r['rss']:5.0f} MB   load {loadavg()}", flush=True)
        browser.close()
    for path, rs in res.items():
        print(f"  median {path:7s}: start->health {med(r['health'] for r in rs):.2f} s, start->drawn "
              f"{med(r['drawn'] for r in rs):.2f} s; opening the page {med(r['cold'] for r in rs):.2f} s cold vs "
              f"{med(r['warm'] for r in rs):.2f} s warm; server RSS after two visits {med(r['rss'] for r in rs):.0f} MB")


if __name__ == "__main__":
    main()
