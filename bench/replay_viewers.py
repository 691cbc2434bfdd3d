"""Benchmark: what a replay viewer costs the server, against a training run, page by page.

    python bench/replay_viewers.py [--pages watch cinema lab moe scaling style] [--viewers 1 2 4]
                                   [--window 12] [--rounds 3] [--quick]

1. Seeds a temporary store with each page's default run, trained by the engine itself at max speed
   (`--quick`: shorter runs, for a smoke test): Watch and Cinema the default Shakespeare run, the
   Lab its first ready-made experiment, MoE its balancing on/off pair, Scaling its experiment at
   the shortest budget, Style the default fine-tuning of an email.
2. Starts `streamlit run` on that store. For each page and each N of `--viewers`: N headless
   Chromium tabs open the run's address and press Replay at 1x; over `--window` seconds it reads the
   server process's CPU time (utime + stime, all threads) and RSS, and counts in every tab how often
   the replay's progress line was redrawn (a MutationObserver on it).
3. The reference, in the same server: one tab trains the Watch page's default run at 1x for the
   same window (its trainer thread and its page's redraws).

Printed, medians of `--rounds`: server CPU seconds per second per viewer, per training tab, and
their ratio; server RSS growth per viewer; redraws per second per tab (the pages poll every
0.5 s, i.e. 2/s when the server keeps up; the Lab and Scaling every 1 s); and the viewers one
server holds: Streamlit runs every session's script in one Python process, so page redraws share
one core (the GIL) whatever the machine's count: 1 / (CPU per viewer). The Chromium tabs run on
the same 2 cores here, so the redraw rates are a floor; the CPU figures are the server's alone.
Prints figures only.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import launch_chromium, loadavg, machine, process_cpu, rss_mb, server  # noqa: E402

POLL = {"watch": 0.5, "cinema": 0.5, "moe": 0.5, "style": 0.5, "lab": 1.0, "scaling": 1.0}
COUNT_REDRAWS = """() => {
  window.__redraws = 0;
  const seen = new WeakSet();
  const watch = () => document.querySelectorAll('[data-testid="stProgress"]').forEach(el => {
    if (seen.has(el)) return; seen.add(el);
    new MutationObserver(() => { window.__redraws += 1; }).observe(el, {subtree: true, characterData: true, childList: true});
  });
  watch();
  new MutationObserver(watch).observe(document.body, {subtree: true, childList: true});
}"""


def seed(url: str, quick: bool) -> dict[str, str]:
    """Each page's default run, trained here and written to the store at `url`; page -> token."""
    from llmbreaker.lessons import lab, scaling_experiment as se
    from llmbreaker.engine.corpus import bundled_text
    from llmbreaker.engine.model import ModelConfig
    from llmbreaker.engine.session import SessionManager, State, TrainingRequest
    from llmbreaker.engine.store import RunStore
    from llmbreaker.engine.trainer import TrainConfig
    from llmbreaker.ui.views.style_start import FINETUNE, style_request

    store = RunStore(url)
    manager = SessionManager(max_running=1, store=store)
    shakespeare = bundled_text("shakespeare")
    steps = 400 if quick else TrainConfig().max_steps
    default = TrainingRequest(shakespeare, train=TrainConfig(max_steps=steps), label="Shakespeare")
    moe = ModelConfig(n_expert=8, expert_top_k=1, balance_loss=0.01)
    lab_runs = lab.experiment_requests(lab.EXPERIMENTS[0], shakespeare, "Shakespeare")
    if quick:
        lab_runs = [replace(r, train=replace(r.train, max_steps=300)) for r in lab_runs]
    email = (Path(__file__).resolve().parent / "style_texts").glob("*.txt")
    email_text = sorted(email)[0].read_text()
    plans = {
        "watch": [default], "cinema": [default],
        "moe": [replace(default, model=moe), replace(default, model=replace(moe, balance_loss=0.0))],
        "lab": lab_runs,
        "scaling": se.experiment_requests(shakespeare, "Shakespeare", 2 if quick else se.BUDGETS[0]),
        "style": [style_request(email_text, FINETUNE)],
    }
    tokens = {}
    for page, requests in plans.items():
        s = manager.session_for("bench", page)
        s.store_runs = True
        s.set_speed("max")
        for r in requests:
            s.enqueue(r)
        while not (s.state in (State.COMPLETED, State.STOPPED, State.ERROR) and not s.pending):
            s.drain()
            time.sleep(0.2)
        assert s.state == State.COMPLETED, s.history.message
        tokens[page] = s.series_token
        print(f"  seeded {page}: {len(requests)} run(s)", flush=True)
    store.flush()
    store.close()
    manager.shutdown()
    return tokens


def measure(browser, base: str, pid: int, path: str, n: int, window: float, press: str | None) -> dict:
    """N tabs on `path`, each pressing `press` (a button's name) once loaded; the server's CPU and
    RSS and the tabs' redraws over `window` seconds."""
    contexts, pages = [], []
    before = process_cpu(pid)
    for _ in range(n):
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        pg = ctx.new_page()
        pg.goto(base + path)
        contexts.append(ctx)
        pages.append(pg)
    for pg in pages:
        pg.get_by_role("button", name=re.compile(rf"{press}$")).first.wait_for(timeout=120_000)
        # The page's whole first run has ended (Streamlit's "Running" status is gone): a Style viewer
        # writes its text once on opening, which is an opening cost, not a replay's.
        pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    opened = process_cpu(pid)
    rss0 = rss_mb(pid)
    for pg in pages:
        pg.get_by_role("button", name=re.compile(rf"{press}$")).first.click()
    for pg in pages:
        pg.get_by_role("button", name=re.compile(r"Pause$")).first.wait_for(timeout=60_000)
        pg.evaluate(COUNT_REDRAWS)
    cpu0, t0 = process_cpu(pid), time.monotonic()
    time.sleep(window)
    cpu1, t1 = process_cpu(pid), time.monotonic()
    redraws = [pg.evaluate("() => window.__redraws") / (t1 - t0) for pg in pages]
    rss1 = rss_mb(pid)
    if press == "Play":  # the training tab's run ends with it, not AWAY_GRACE_SECONDS later
        for pg in pages:
            pg.get_by_role("button", name=re.compile(r"Stop$")).first.click()
    for ctx in contexts:
        ctx.close()
    return {"cpu": (cpu1 - cpu0) / (t1 - t0), "rss": rss1 - rss0, "redraws": statistics.median(redraws),
            "open": (opened - before) / n}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", nargs="+", default=list(POLL))
    ap.add_argument("--viewers", nargs="+", type=int, default=[1, 2, 4])
    ap.add_argument("--window", type=float, default=12.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    db = Path(tempfile.mkdtemp(prefix="lb-replay-")) / "runs.db"
    os.environ["LLMBREAKER_DB_URL"] = f"sqlite:///{db}"
    print(f"# replay viewers · {machine()} · load {loadavg()} · {time.strftime('%Y-%m-%d %H:%M')}", flush=True)
    tokens = seed(os.environ["LLMBREAKER_DB_URL"], args.quick)
    from playwright.sync_api import sync_playwright

    with server() as srv, sync_playwright() as p:
        browser = launch_chromium(p)
        pid = srv["proc"].pid
        base = srv["url"]
        train_path = f"/watch?watch_dataset=Shakespeare&watch_speed=1x"
        training = [measure(browser, base, pid, train_path, 1, args.window, "Play") for _ in range(args.rounds)]
        train_cpu = statistics.median(r["cpu"] for r in training)
        train_rss = statistics.median(r["rss"] for r in training)
        print(f"training tab (Watch default at 1x): server CPU {train_cpu:.3f} s/s · RSS +{train_rss:.0f} MB "
              f"· redraws {statistics.median(r['redraws'] for r in training):.2f}/s", flush=True)
        rows = {}
        for page in args.pages:
            for n in args.viewers:
                results = [measure(browser, base, pid, f"/{page}?run={tokens[page]}", n, args.window, "Replay")
                           for _ in range(args.rounds)]
                per_viewer = statistics.median(r["cpu"] for r in results) / n
                rows[(page, n)] = per_viewer
                print(f"{page:8s} {n} viewer(s): server CPU {per_viewer:.3f} s/s per viewer "
                      f"({per_viewer / train_cpu:.2f}x a training tab) · RSS +{statistics.median(r['rss'] for r in results) / n:.1f} MB "
                      f"per viewer · redraws {statistics.median(r['redraws'] for r in results):.2f}/s per tab "
                      f"(polls every {POLL[page]} s) · opening the page {statistics.median(r['open'] for r in results):.2f} "
                      f"CPU s per viewer", flush=True)
        browser.close()
    print("viewers one server holds (page redraws share one core: 1 / CPU per viewer, at the largest N):")
    for page in args.pages:
        per_viewer = rows[(page, max(args.viewers))]
        print(f"  {page:8s} ~{1 / per_viewer:.0f}" if per_viewer > 0 else f"  {page:8s} (no CPU measured)")
    print(json.dumps({f"{p}/{n}": round(v, 4) for (p, n), v in rows.items()}))


if __name__ == "__main__":
    main()
