"""Benchmark: how long the default Watch run lasts at 1x, here and on a machine half as fast.

    python bench/demo_length.py [--rounds 2] [--speed 1x]

The Watch page's default request (_harness.watch_default_request: its default model size and
training settings, fitted to 25 s: TrainConfig.fit_seconds) trains through a SessionManager at
`--speed`, as the page trains it; the wall time from Play to completed, the steps it trained and
its last validation loss are printed.
Then the same with the machine throttled to about half its speed for the trainer: this process is
pinned to one core and a busy-looping process is pinned to the same core, so the trainer gets
about half of it. Alternating normal and throttled rounds; medians. Prints figures only.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import loadavg, machine, train_to_end, watch_default_request  # noqa: E402
from llmbreaker.engine.corpus import bundled_text  # noqa: E402
from llmbreaker.engine.session import RUN_SECONDS_AT_1X, SessionManager  # noqa: E402


def _burn(core: int) -> None:
    os.sched_setaffinity(0, {core})
    while True:
        pass


def one_run(speed: str) -> tuple[float, int, float]:
    manager = SessionManager(max_running=1)
    try:
        s = manager.session_for("bench", "watch")
        seconds = train_to_end(s, watch_default_request(bundled_text("shakespeare")), speed)
        return seconds, s.history.step, s.history.checkpoints[-1].val_loss
    finally:
        manager.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--speed", default="1x")
    args = ap.parse_args()
    print(f"# default Watch run at {args.speed}, fitted to {RUN_SECONDS_AT_1X:.0f} s · {machine()} · "
          f"load {loadavg()} · {time.strftime('%Y-%m-%d %H:%M')}", flush=True)
    cores = sorted(os.sched_getaffinity(0))
    results = {"normal": [], "half speed": []}
    for r in range(args.rounds):
        for mode in results:
            burner = None
            if mode == "half speed":
                os.sched_setaffinity(0, {cores[0]})
                burner = multiprocessing.Process(target=_burn, args=(cores[0],), daemon=True)
                burner.start()
            try:
                seconds, steps, val = one_run(args.speed)
            finally:
                if burner is not None:
                    burner.terminate()
                    burner.join()
                os.sched_setaffinity(0, set(cores))
            results[mode].append((seconds, steps, val))
            print(f"round {r + 1} {mode:10s}: {seconds:5.1f} s · {steps:,} steps · val loss {val:.3f}", flush=True)
    for mode, rows in results.items():
        print(f"median {mode:10s}: {statistics.median(x[0] for x in rows):.1f} s · "
              f"{statistics.median(x[1] for x in rows):,.0f} steps · val loss {statistics.median(x[2] for x in rows):.3f}")


if __name__ == "__main__":
    main()
