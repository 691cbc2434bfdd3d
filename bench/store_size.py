"""How many bytes the run store keeps per run, for each page's default run (docs/design.md §Runs).

Each page's default request, trained through a SessionManager with the store on (store_runs, as
the pages do) into a temporary SQLite database, at max speed, one after another:

    watch    Shakespeare, the Small model, 2,200 steps, a checkpoint every 200
    cinema   the same run (the Cinema's default is Watch's, with the attention drawn)
    style    an email-sized text (bench/style_texts/bench-01.txt), fine-tuned from the English base
    lab      one Lab run: Shakespeare, Small, 1,500 steps, a checkpoint every 100
    moe      one run of the MoE page: Small with 8 experts, top-1, balancing loss on
    scaling  the Scaling experiment: 4 sizes for 20 s each (one series)

Prints, per page: runs, the store's own size accounting (what the size cap counts), split into the
text, the checkpoints (attention, samples, guesses, experts), the loss curve and the model file,
and the database file's growth on disk (after a WAL checkpoint). Sizes do not depend on timing,
except the Scaling experiment's (its runs stop at a time budget, so a slower machine stores fewer
steps). `--pages watch,style` runs a subset.

    python bench/store_size.py [--pages watch,cinema,style,lab,moe,scaling]
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sqlite3
import sys
import tempfile
import threading
import time
import zlib
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from llmbreaker.lessons import lab, scaling_experiment  # noqa: E402
from llmbreaker.engine.corpus import bundled_text  # noqa: E402
from llmbreaker.engine.presets import DEFAULT_MODEL_SIZE, MODEL_SIZES, next_token_prompt  # noqa: E402
from llmbreaker.engine.session import ACTIVE_STATES, SessionManager, TrainingRequest  # noqa: E402
from llmbreaker.engine.store import RunStore  # noqa: E402
from llmbreaker.engine.trainer import TrainConfig  # noqa: E402

PAGES = ("watch", "cinema", "style", "lab", "moe", "scaling")


def requests_for(page: str) -> list[TrainingRequest]:
    text = bundled_text("shakespeare")
    small = MODEL_SIZES[DEFAULT_MODEL_SIZE]
    train = replace(TrainConfig(), next_prompt=next_token_prompt("shakespeare", text))
    if page in ("watch", "cinema"):
        return [TrainingRequest(text, small, train, label="Shakespeare")]
    if page == "style":
        from llmbreaker.ui.views.style_start import FINETUNE, style_request
        return [style_request((ROOT / "bench" / "style_texts" / "bench-01.txt").read_text(), FINETUNE)]
    if page == "lab":
        return [TrainingRequest(text, lab.SIZES[lab.DEFAULT_SIZE][1], replace(lab.LAB_TRAIN, next_prompt=train.next_prompt),
                                label="Shakespeare")]
    if page == "moe":
        from llmbreaker.ui.views.moe import BALANCE_WEIGHT
        model = replace(small, n_expert=8, expert_top_k=1, balance_loss=BALANCE_WEIGHT)
        return [TrainingRequest(text, model, train, label="Shakespeare")]
    if page == "scaling":
        return scaling_experiment.experiment_requests(text, "Shakespeare", scaling_experiment.DEFAULT_BUDGET)
    raise SystemExit(f"unknown page {page}")


def db_bytes(path: Path) -> int:
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def parts(store: RunStore, series: str) -> dict:
    """The store's accounting of a series, part by part (as the writer counts them)."""
    out = {"text": 0, "checkpoints": 0, "losses": 0, "model": 0, "checkpoint_count": 0, "steps": 0}
    for run in store.load_series(series):
        out["text"] += len(zlib.compress(run.text.encode(), 1))
        out["model"] += len(run.model_file or b"")
        out["steps"] += len(run.steps)
        out["checkpoint_count"] += len(run.checkpoints)
    with sqlite3.connect(store.engine.url.database) as con:
        rows = con.execute("SELECT length(c.attention) + length(CAST(c.sample AS BLOB)) + length(c.next_token) + "
                           "coalesce(length(c.experts), 0) FROM checkpoints c JOIN runs r ON r.token = c.run_token "
                           "WHERE r.series = ?", (series,)).fetchall()
        out["checkpoints"] = sum(r[0] for r in rows)
        out["losses"] = sum(r[0] or 0 for r in con.execute("SELECT length(losses) FROM runs WHERE series = ?",
                                                            (series,)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", default=",".join(PAGES))
    args = ap.parse_args()
    pages = [p for p in args.pages.split(",") if p]
    path = Path(tempfile.mkdtemp(prefix="lb-store-size-")) / "runs.db"
    store = RunStore(f"sqlite:///{path}", max_bytes=10e9, max_age=1e9)
    manager = SessionManager(max_running=1, store=store)
    print(f"# {datetime.date.today()} · {platform.node()} · {os.cpu_count()} cores · python {platform.python_version()}")
    print(f"# python bench/store_size.py --pages {','.join(pages)}")
    print(f"{'page':8} {'runs':>4} {'steps':>6} {'ckpts':>5} {'store KB':>9} {'text':>8} {'ckpt KB':>8} "
          f"{'loss KB':>7} {'model KB':>8} {'on disk KB':>10} {'train s':>7}")
    try:
        for page in pages:
            before = db_bytes(path)
            s = manager.session_for(f"bench-{page}", page)
            s.store_runs = True
            s.store_owner = f"bench-{page}"
            s.set_speed("max")
            t0 = time.perf_counter()
            for r in requests_for(page):
                s.enqueue(r)
            tick = threading.Event()
            while s.state in ACTIVE_STATES or s.pending:
                tick.wait(0.1)
                s.drain()
            s.drain()
            seconds = time.perf_counter() - t0
            if not store.flush(120) or not store.available:
                raise SystemExit(f"store: {store.problem or 'flush timed out'}")
            rows = store.list_runs(f"bench-{page}")
            if not rows:
                raise SystemExit(f"{page}: nothing stored ({s.state.value}: {s.history.message})")
            head = rows[0]
            p = parts(store, head.token)
            after = db_bytes(path)
            print(f"{page:8} {head.runs:>4} {p['steps']:>6} {p['checkpoint_count']:>5} {head.size / 1e3:>9.1f} "
                  f"{p['text'] / 1e3:>8.1f} {p['checkpoints'] / 1e3:>8.1f} {p['losses'] / 1e3:>7.1f} "
                  f"{p['model'] / 1e3:>8.1f} {(after - before) / 1e3:>10.1f} {seconds:>7.1f}", flush=True)
    finally:
        manager.shutdown()
        store.close()


if __name__ == "__main__":
    main()
