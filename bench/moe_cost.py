"""What a mixture of experts costs per training step here: the MoE page's default model (Small with
8 experts, top-1) and top-2 against the dense Small model, timed in the same process, interleaved
(rounds of every model in turn, medians), one torch thread. Prints ms per step and the ratio to
dense; `--loop` adds the same 8-expert top-1 model through the plain loop over experts
(`MixtureOfExperts.reference_forward`, what the layer did before it grouped its tokens).

    python bench/moe_cost.py [--steps 40] [--rounds 5] [--loop] [--batch 32]

(batch 32 by default: the batch of the issue-17 figure, 1.92x; smaller batches leave the router's
fixed costs a larger share)
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
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import loadavg, machine, shakespeare  # noqa: E402
from llmbreaker.engine.model import GROUPED_MM, MixtureOfExperts  # noqa: E402
from llmbreaker.engine.presets import MODEL_SIZES  # noqa: E402
from llmbreaker.engine.trainer import TrainConfig, Trainer  # noqa: E402

SMALL = MODEL_SIZES["small"]
MODELS = {"dense": SMALL, "8 experts, top-1": replace(SMALL, n_expert=8, expert_top_k=1),
          "8 experts, top-2": replace(SMALL, n_expert=8, expert_top_k=2)}
LOOP = "8 experts, top-1, loop"


def ms_per_step(trainer: Trainer, steps: int) -> float:
    t0 = time.perf_counter()
    for _ in range(steps):
        trainer.step()
    return (time.perf_counter() - t0) / steps * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--loop", action="store_true", help="also time the plain loop over experts")
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(machine())
    print(f"torch grouped matmul: {'yes' if GROUPED_MM else 'no (one matmul per expert)'}; "
          f"batch {args.batch} x {SMALL.block_size}, {SMALL.n_embd} dims, {SMALL.n_layer} layers")
    text = shakespeare()
    models = dict(MODELS, **({LOOP: MODELS["8 experts, top-1"]} if args.loop else {}))
    train = TrainConfig(batch_size=args.batch)
    trainers = {name: Trainer(text, cfg, train) for name, cfg in models.items()}
    if args.loop:
        for block in trainers[LOOP].model.blocks:  # this model's layers run the reference loop
            block.ffn.forward = block.ffn.reference_forward.__get__(block.ffn, MixtureOfExperts)
    for t in trainers.values():
        ms_per_step(t, 10)  # warm-up
    times = {name: [] for name in trainers}
    for _ in range(args.rounds):  # interleaved, so machine load hits every model alike
        for name, t in trainers.items():
            times[name].append(ms_per_step(t, args.steps))
    dense = statistics.median(times["dense"])
    for name, ts in times.items():
        med = statistics.median(ts)
        ratios = sorted(t / d for t, d in zip(ts, times["dense"]))
        print(f"{name:22s} {med:6.1f} ms/step  ({med / dense:.2f}x dense; per round "
              f"{ratios[0]:.2f}-{ratios[-1]:.2f}x)")
    print(f"load average at the end {loadavg()}")


if __name__ == "__main__":
    main()
