"""What a mixture of experts costs per training step here: the MoE page's default model (Small with
8 experts, top-1) and top-2 against the dense Small model, timed in the same process, interleaved,
one torch thread. Prints ms per step and the ratio to dense.

    python bench/moe_cost.py [--steps 40] [--rounds 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from llmbreaker.corpus import bundled_text  # noqa: E402
from llmbreaker.presets import MODEL_SIZES  # noqa: E402
from llmbreaker.trainer import TrainConfig, Trainer  # noqa: E402

SMALL = MODEL_SIZES["small"]
MODELS = {"dense": SMALL, "8 experts, top-1": replace(SMALL, n_expert=8, expert_top_k=1),
          "8 experts, top-2": replace(SMALL, n_expert=8, expert_top_k=2)}


def ms_per_step(trainer: Trainer, steps: int) -> float:
    t0 = time.perf_counter()
    for _ in range(steps):
        trainer.step()
    return (time.perf_counter() - t0) / steps * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    text = bundled_text("shakespeare")
    trainers = {name: Trainer(text, cfg, TrainConfig()) for name, cfg in MODELS.items()}
    for t in trainers.values():
        ms_per_step(t, 10)  # warm-up
    times = {name: [] for name in trainers}
    for _ in range(args.rounds):  # interleaved, so machine load hits every model alike
        for name, t in trainers.items():
            times[name].append(ms_per_step(t, args.steps))
    dense = statistics.median(times["dense"])
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:18s} {med:6.1f} ms/step  ({med / dense:.2f}x dense)")


if __name__ == "__main__":
    main()
