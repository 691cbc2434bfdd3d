"""Benchmark: why a server's memory grows run after run (a follow-up to bench/scale.py, which saw
the process's RSS grow 10-27 MB per run while a finished run's history holds under 1 MB).

    python bench/memory.py [--runs 8] [--steps 300]

In one process, as the app does it (SessionManager(max_running=2), one session per person, events
drained as a page would): `--runs` people train one after another (two at a time), on Shakespeare
with the default model. RSS is read after each pair, then after every session has been removed and
garbage-collected, then after glibc's malloc_trim(0) gives freed memory back to the system. Run
twice, in fresh interpreters: with glibc's default malloc arenas and with MALLOC_ARENA_MAX=2 (each
new thread gets its own arena by default, and every training run is a new thread). Prints figures only.
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def child(runs: int, steps: int) -> None:
    from _harness import rss_mb
    from llmbreaker.engine.corpus import bundled_text
    from llmbreaker.engine.presets import DEFAULT_MODEL_SIZE, MODEL_SIZES, next_token_prompt
    from llmbreaker.engine.session import SessionManager, TrainingRequest
    from llmbreaker.engine.trainer import TrainConfig

    text = bundled_text("shakespeare")
    train = replace(TrainConfig(), max_steps=steps, next_prompt=next_token_prompt("shakespeare", text))
    request = TrainingRequest(text, MODEL_SIZES[DEFAULT_MODEL_SIZE], train, label="Shakespeare")
    manager = SessionManager(max_running=2)
    start = rss_mb()
    line = [f"start {start:.0f}"]
    for i in range(0, runs, 2):
        pair = [manager.session_for(f"person-{j}", "watch") for j in (i, i + 1)]
        for s in pair:
            s.set_speed("max")
            s.play(request)
        while any(s.active for s in pair):
            for s in pair:
                s.drain()
            time.sleep(0.2)
        for s in pair:
            s.drain()
        line.append(f"{rss_mb():.0f}")
    ended = rss_mb()
    kept = sum(sum(c.attention.nbytes for c in s.history.checkpoints) + len(s.history.model_file or b"")
               for s in manager.all_sessions()) / 1e6
    manager.shutdown()
    gc.collect()
    removed = rss_mb()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    trimmed = rss_mb()
    print(f"  RSS MB after each pair of runs: {' -> '.join(line)}")
    print(f"  {runs} ended sessions: +{ended - start:.0f} MB over the start ({(ended - start) / runs:.1f} MB a run; their "
          f"histories hold {kept:.1f} MB); sessions removed + gc: {removed:.0f} MB; after malloc_trim(0): {trimmed:.0f} MB "
          f"(+{trimmed - start:.0f} MB over the start)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.runs, args.steps)
        return
    from _harness import machine
    print(f"machine: {machine()}")
    print(f"{args.runs} runs of {args.steps} steps (Shakespeare, default model, max speed), two at a time, one process")
    for label, extra in (("glibc default arenas", {}), ("MALLOC_ARENA_MAX=2", {"MALLOC_ARENA_MAX": "2"})):
        print(f"\n{label}:", flush=True)
        env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
        subprocess.run([sys.executable, __file__, "--child", "--runs", str(args.runs), "--steps", str(args.steps)],
                       env={**env, **extra}, check=True)


if __name__ == "__main__":
    main()
