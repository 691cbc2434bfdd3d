"""The Architecture Lab's experiments outside the page: each variant of the Small model trained on
Shakespeare for the Lab's default 1,500 steps (one torch thread), printing its time, final train and
validation loss, and a sample. The figures behind the ready-made experiments' explanations.

    python bench/lab_experiments.py                 # all variants
    python bench/lab_experiments.py base nopos      # some
"""
from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from llmbreaker.engine.corpus import bundled_text  # noqa: E402
from llmbreaker.lessons.lab import LAB_TRAIN, SIZES  # noqa: E402
from llmbreaker.engine.trainer import Trainer  # noqa: E402

SMALL, DEEP = SIZES["small"][1], SIZES["tall"][1]
VARIANTS = {
    "base": SMALL, "nopos": replace(SMALL, position="none"), "rope": replace(SMALL, position="rope"),
    "nocausal": replace(SMALL, causal=False), "deep": DEEP, "deep-nores": replace(DEEP, residual=False),
    "1head": replace(SMALL, n_head=1), "4head": replace(SMALL, n_head=4),
    "gqa": replace(SMALL, n_head=4, n_kv_head=1), "noln": replace(SMALL, layer_norm=False),
    "moe": replace(SMALL, n_expert=8, expert_top_k=1), "moe-nobal": replace(SMALL, n_expert=8, expert_top_k=1, balance_loss=0.0),
}


def main(names: list[str]) -> None:
    torch.set_num_threads(1)
    text = bundled_text("shakespeare")
    train = replace(LAB_TRAIN, eval_interval=LAB_TRAIN.max_steps)
    for name in names or list(VARIANTS):
        trainer = Trainer(text, VARIANTS[name], train)
        t0 = time.perf_counter()
        while not trainer.done:
            trainer.step()
        c = trainer.checkpoint()
        experts = f" shares {c.experts['share'].round(2).tolist()}" if c.experts else ""
        print(f"{name:11s} {time.perf_counter() - t0:6.1f} s  train {c.train_loss:.3f}  val {c.val_loss:.3f}  "
              f"{c.sample[:60]!r}{experts}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
