"""Benchmark: the server-side part of the wait between Play and the first pictures, stage by stage.

    python bench/start_cost.py [--rounds 3]

Prints, each a median of `--rounds`, for the Watch page's default run on Shakespeare with one
torch thread (what a trainer gets):
1. building the trainer in a fresh process, with and without llmbreaker/engine/warm_up.py having run
   first (each round is a new Python process; the warm-up is joined before the clock starts, as
   it has long ended by the time a person presses Play);
2. encoding the corpus: the old list of ids + torch.tensor, against CharTokenizer.encode_array;
3. the step-0 checkpoint (both splits measured, a sample, attention, next-letter guesses), which
   the session now takes just after the first step, against one step: the first loss point waits
   for a step, no longer for a checkpoint;
4. one heatmap's data (64-character probe): the old list of dicts with the tooltip's sentence,
   against the Arrow table of three numbers a cell, as Streamlit serialises it.
The browser side (the click to the first point painted) is bench/latency.py.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _harness import loadavg, machine  # noqa: E402

BUILD = """
import json, sys, time, torch
sys.path.insert(0, {root!r})
torch.set_num_threads(1)
from llmbreaker.engine.corpus import bundled_text
from llmbreaker.engine.presets import MODEL_SIZES, default_model_size, default_train_config
from llmbreaker.engine.trainer import Trainer
from llmbreaker.engine import warm_up
text = bundled_text("shakespeare")
if {warm}:
    warm_up.start().join()
t0 = time.perf_counter()
Trainer(text, MODEL_SIZES[default_model_size("watch")], default_train_config("watch"))
print(json.dumps(time.perf_counter() - t0))
"""


def build_seconds(warm: bool) -> float:
    out = subprocess.run([sys.executable, "-c", BUILD.format(root=str(ROOT), warm=warm)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def old_cells(matrix, tokens):
    """The heatmap rows as llmbreaker/charts/training.py built them before the latency work of docs/design.md §Demo (for the comparison)."""
    from llmbreaker.charts.training import visible_char
    shown = [visible_char(t) for t in tokens]
    return [{"q": q, "k": k, "w": round(float(matrix[q][k]), 4),
             "tip": f"Attention from '{shown[q]}' → '{shown[k]}' = {float(matrix[q][k]):.2f}"}
            for q in range(len(tokens)) for k in range(q + 1)]


def timed(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")

    cold = [build_seconds(False) for _ in range(args.rounds)]
    warm = [build_seconds(True) for _ in range(args.rounds)]
    print(f"1. trainer built in a fresh process: {statistics.median(cold):.3f} s cold, "
          f"{statistics.median(warm):.3f} s after the warm-up (medians of {args.rounds}; load {loadavg()})")

    import numpy as np
    import torch
    from streamlit import dataframe_util

    from llmbreaker.charts.training import attention_cells
    from llmbreaker.engine.corpus import CharTokenizer, bundled_text
    from llmbreaker.engine.presets import MODEL_SIZES, default_model_size, default_train_config
    from llmbreaker.engine.trainer import Trainer

    torch.set_num_threads(1)
    text = bundled_text("shakespeare")
    tok = CharTokenizer.from_text(text)
    before = timed(lambda: torch.tensor(tok.encode(text), dtype=torch.long), args.rounds)
    after = timed(lambda: torch.from_numpy(tok.encode_array(text)), args.rounds)
    print(f"2. encoding {len(text):,} characters: {before:.3f} s as a list, {after:.3f} s with encode_array")

    trainer = Trainer(text, MODEL_SIZES[default_model_size("watch")], default_train_config("watch"))
    trainer.checkpoint()  # the process's first forward passes are slower: not what is compared
    snap = trainer.snapshot()

    def checkpoint0():
        with trainer.as_of(snap):
            trainer.checkpoint()

    cp = timed(checkpoint0, args.rounds)
    step = timed(trainer.step, max(3, args.rounds))
    print(f"3. the step-0 checkpoint {cp:.3f} s, one step {step:.3f} s: the first loss point comes "
          f"{cp:.3f} s sooner (load {loadavg()})")

    probe = trainer.probe_tokens
    matrix = np.tril(np.random.default_rng(0).random((len(probe), len(probe)), dtype=np.float32))
    old_bytes = dataframe_util.convert_anything_to_arrow_bytes(old_cells(matrix, probe))
    new_bytes = dataframe_util.convert_anything_to_arrow_bytes(attention_cells(matrix))
    t_old = timed(lambda: dataframe_util.convert_anything_to_arrow_bytes(old_cells(matrix, probe)), args.rounds)
    t_new = timed(lambda: dataframe_util.convert_anything_to_arrow_bytes(attention_cells(matrix)), args.rounds)
    print(f"4. one heatmap's data ({len(probe)} characters): {len(old_bytes) / 1000:.0f} KB in {t_old * 1000:.1f} ms "
          f"as dicts with the sentence, {len(new_bytes) / 1000:.0f} KB in {t_new * 1000:.2f} ms as an Arrow table; "
          f"four heatmaps a checkpoint")


if __name__ == "__main__":
    main()
