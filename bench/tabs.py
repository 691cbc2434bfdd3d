"""Benchmark: a class on one server. N browser tabs press Play at once, half of them close mid-run.

    python bench/tabs.py [--counts 4 8 16] [--steps 2200] [--speed 1x] [--settle 120]

One `streamlit run` server and one headless Chromium for all the groups, as a class server over a day:
1. a warm-up tab trains a 20-step run and closes (the server has imported and built everything a
   run needs); once its session has ended (AWAY_END_SECONDS later), the resting figures: the
   server's RSS and thread count;
then for each N:
2. N tabs open the Watch page (Shakespeare, the default model, `--steps` steps at `--speed`) and
   press Play one right after another;
3. halfway through a run's nominal time (at 1x: 25 s x steps / 2,200), every other tab closes;
4. the other tabs stay until their run completes, then close.
Printed: for each remaining tab, its wait in line (Play until its page no longer says "waiting"),
Play until completed, and the training time its page reports; the longest wait; how long after the
closing the server's own sidebar line ("This server: k of M trainers busy · w waiting", read from
a remaining tab) stopped counting the closed tabs' runs; the server's peak RSS (VmHWM) and peak
thread count; and its RSS and thread count `--settle` seconds after the last tab closed, against
the resting figures. Threads are counted in all, and the app's own among them (named "trainer-…"
and "presence-watch" at the system level by llmbreaker/engine/session.py); the rest are the web server's
(its worker pool keeps idle threads until it next needs one). Prints figures only.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import launch_chromium, loadavg, machine, rss_mb, server  # noqa: E402
from llmbreaker.engine.session import AWAY_END_SECONDS, AWAY_GRACE_SECONDS, RUN_SECONDS_AT_1X  # noqa: E402
from llmbreaker.engine.trainer import TrainConfig  # noqa: E402

PLAY = re.compile(r"^(play_arrow)?\s*Play$")
SERVER_LINE = re.compile(r"This server: (\d+) of (\d+) trainers? busy · (\d+) waiting")
DONE = re.compile(r"completed in ([\d.]+) s")


def threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


def app_threads(pid: int) -> int:
    """The app's own threads: trainers and the presence watcher."""
    n = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        n += name.startswith(("trainer-", "presence-watch"))
    return n


def figures(pid: int) -> str:
    return f"{rss_mb(pid):.0f} MB, {threads(pid)} threads ({app_threads(pid)} of the app's)"


def progress(page) -> str:
    """The page's progress line, or "" while the fragment redraws it."""
    try:
        return page.locator('[data-testid="stProgress"]').first.inner_text(timeout=500)
    except Exception:
        return ""


def server_line(page) -> tuple[int, int, int] | None:
    try:
        text = page.locator('[data-testid="stSidebar"]').get_by_text(SERVER_LINE).first.inner_text(timeout=500)
    except Exception:
        return None
    m = SERVER_LINE.search(text)
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def warm_up(browser, srv) -> str:
    warm = browser.new_page()
    warm.goto(srv["url"] + "/watch?watch_steps=20&watch_interval=10&watch_speed=max")
    warm.get_by_role("button", name=PLAY).click(timeout=120_000)
    warm.get_by_text(re.compile(r"Step 20 / 20 · completed")).wait_for(timeout=120_000)
    warm.close()
    time.sleep(AWAY_END_SECONDS + 5)  # its session ends: what is left is the resting server
    return figures(srv["proc"].pid)


def one_group(browser, srv, rest: str, n: int, steps: int, speed: str, settle: float) -> None:
    pid, url = srv["proc"].pid, srv["url"]
    link = f"{url}/watch?watch_steps={steps}&watch_speed={speed}"
    pages = [browser.new_page(viewport={"width": 1200, "height": 900}) for _ in range(n)]
    for pg in pages:
        pg.goto(link)
    for pg in pages:
        pg.get_by_role("button", name=PLAY).wait_for(timeout=120_000)
    clicked = {}
    for i, pg in enumerate(pages):
        pg.get_by_role("button", name=PLAY).click()
        clicked[i] = time.monotonic()
    t0 = min(clicked.values())
    nominal = RUN_SECONDS_AT_1X * steps / TrainConfig().max_steps
    close_at = t0 + nominal / 2
    closing = set(range(1, n, 2))  # every other tab: some running, some in line
    staying = [i for i in range(n) if i not in closing]
    started, finished, reported = {}, {}, {}
    line_log: list[tuple[float, tuple[int, int, int]]] = []
    closed_at = None
    peak_threads, peak_app = threads(pid), app_threads(pid)
    while len(finished) < len(staying):
        now = time.monotonic()
        if closed_at is None and now >= close_at:
            for i in sorted(closing):
                pages[i].close()
            closed_at = time.monotonic()
        for i in range(n):
            if i in finished or (closed_at is not None and i in closing):
                continue
            text = progress(pages[i])
            if not text:
                continue
            if i not in started and "waiting" not in text and "Ready" not in text:
                started[i] = time.monotonic()
            m = DONE.search(text)
            if m and i in staying:
                finished[i] = time.monotonic()
                reported[i] = float(m[1])
        watcher = next((pages[i] for i in staying if i not in finished), None)
        if watcher is not None and closed_at is not None:
            seen = server_line(watcher)
            if seen:
                line_log.append((time.monotonic() - closed_at, seen))
        peak_threads, peak_app = max(peak_threads, threads(pid)), max(peak_app, app_threads(pid))
        time.sleep(0.5)
    for i in staying:
        pages[i].close()
    last_closed = time.monotonic()
    peak_rss = rss_mb(pid, "VmHWM")
    while time.monotonic() - last_closed < settle:
        peak_threads = max(peak_threads, threads(pid))
        time.sleep(1.0)
    after = figures(pid)

    # When the line no longer counts the closed tabs' runs: busy + waiting at most the
    # remaining tabs that have not finished yet.
    freed = None
    for t, (busy, _cap, waiting) in line_log:
        left = sum(1 for i in staying if i not in finished or finished[i] - closed_at > t)
        if busy + waiting <= left:
            freed = t
            break
    cap = line_log[0][1][1] if line_log else "?"
    print(f"\nN={n} tabs, {len(closing)} closed {closed_at - t0:.1f} s after Play, cap {cap} trainers, "
          f"{steps} steps at {speed} (nominal {nominal:.1f} s)")
    for i in staying:
        wait = started.get(i, finished[i]) - clicked[i]
        print(f"  tab {i:2d}: waited {wait:6.1f} s · Play -> completed {finished[i] - clicked[i]:6.1f} s · "
              f"training time {reported[i]:5.1f} s")
    waits = [started.get(i, finished[i]) - clicked[i] for i in staying]
    print(f"  longest wait {max(waits):.1f} s; last run done {max(finished.values()) - t0:.1f} s after Play")
    print(f"  closed tabs' runs out of the server's line and trainers "
          f"{'after %.1f s' % freed if freed is not None else 'not seen'} (grace {AWAY_GRACE_SECONDS:g} s)")
    print(f"  server: resting {rest} · peak so far {peak_rss:.0f} MB (VmHWM), {peak_threads} threads "
          f"(peak of the app's {peak_app}) · {settle:.0f} s after the last tab closed: {after} "
          f"(sessions end {AWAY_END_SECONDS:g} s after their tab)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", type=int, nargs="*", default=[4, 8, 16])
    parser.add_argument("--steps", type=int, default=TrainConfig().max_steps)
    parser.add_argument("--speed", default="1x")
    parser.add_argument("--settle", type=float, default=120.0)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p, server() as srv:
        browser = launch_chromium(p)
        try:
            rest = warm_up(browser, srv)
            print(f"resting server (after a warm-up run, its session ended): {rest}", flush=True)
            for n in args.counts:
                one_group(browser, srv, rest, n, args.steps, args.speed, args.settle)
        finally:
            browser.close()
    print(f"load average at the end {loadavg()}")


if __name__ == "__main__":
    main()
