"""Which recipe learns most per second, measured without the machine's load (docs/design.md §Demo).

    python bench/recipe_steps.py [--steps 1900] [--seeds 1337,1338] CANDIDATE ...

On a shared machine whose load swings 10x within a minute (other people's tests and browsers on the
same 2 cores), a wall-clock race between recipes (bench/recipe_search.py, bench/learning_budget.py)
measures the load more than the recipe. This splits the question in two parts that the load cannot
move: (1) a recipe's cost, the CPU seconds of its trainer's thread per step (time.thread_time, one
torch thread, interleaved with the default's so both see the same machine), and (2) what it learns
in a given number of steps, which with one thread and a fixed seed is the same on any load. Each
candidate then trains the steps that the default's `--steps` cost would buy it (`--steps` x the
default's cost / its cost, checkpoints' cost left out, the same for all) with its schedule ending
there, and its validation loss on the 256 fixed windows is printed with the default's at `--steps`.

A candidate is as in recipe_search.py ("name:key=value,..."), plus steps=N to fix its steps.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _harness import loadavg, machine, shakespeare  # noqa: E402
from llmbreaker.engine.words import real_word_share, word_set  # noqa: E402
from recipe_search import build, parse  # noqa: E402


def step_cost(text: str, cands: list[tuple[str, dict]], steps: int = 60, rounds: int = 5) -> dict[str, float]:
    """CPU seconds per step of each candidate (median of `rounds` interleaved runs of `steps`)."""
    trainers = {name: build(text, ch, 10_000, 1337) for name, ch in cands}
    for t in trainers.values():
        for _ in range(10):
            t.step()
    costs = {name: [] for name in trainers}
    for _ in range(rounds):
        for name, t in trainers.items():
            c0 = time.thread_time()
            for _ in range(steps):
                t.step()
            costs[name].append((time.thread_time() - c0) / steps)
    return {name: statistics.median(c) for name, c in costs.items()}


def learn(text: str, changes: dict, steps: int, seed: int) -> dict:
    trainer = build(text, changes, steps, seed)
    while not trainer.done:
        trainer.step()
    trainer.config = replace(trainer.config, sample_chars=200)
    c = trainer.checkpoint()
    return {"val_loss": c.val_loss, "train_loss": c.train_loss, "sample": c.sample}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("candidates", nargs="*")
    ap.add_argument("--steps", type=int, default=1900, help="the default's steps in the budget")
    ap.add_argument("--seeds", default="1337,1338")
    args = ap.parse_args()
    torch.set_num_threads(1)
    text = shakespeare()
    cands = [parse(c) for c in args.candidates]
    if not cands or cands[0][0] != "default":
        cands.insert(0, ("default", {}))
    print(machine(), flush=True)
    cost = step_cost(text, [(n, {k: v for k, v in ch.items() if k != "steps"}) for n, ch in cands])
    print("CPU ms a step: " + ", ".join(f"{n} {1000 * c:.2f}" for n, c in cost.items()) + f" (load {loadavg()})", flush=True)
    seeds = [int(s) for s in args.seeds.split(",")]
    base = {}
    for name, ch in cands:
        steps = int(ch.get("steps", round(args.steps * cost["default"] / cost[name])))
        ch = {k: v for k, v in ch.items() if k != "steps"}
        losses = []
        for seed in seeds:
            r = learn(text, ch, steps, seed)
            losses.append(r["val_loss"])
            if name == "default":
                base[seed] = r["val_loss"]
        diff = statistics.median(v - base[s] for v, s in zip(losses, seeds))
        print(f"{name:28s} {steps:5d} steps  val {statistics.median(losses):.3f} ({', '.join(f'{v:.3f}' for v in losses)})"
              f"  vs default {diff:+.3f}  real words {real_word_share(r['sample'], word_set(text)):.0%}  (load {loadavg()})", flush=True)
        print(f"    {r['sample'][:120]!r}", flush=True)


if __name__ == "__main__":
    main()
