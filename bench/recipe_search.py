"""Which recipe learns Shakespeare furthest in the demo's 25 s of wall time (docs/design.md §Demo)?

    python bench/recipe_search.py [--seconds 25] [--rounds 2] [--threads 1] CANDIDATE ...

A candidate is "name:key=value,key=value" (or "default"): changes from the Watch page's defaults
(presets.default_model_size("watch") and default_train_config("watch")). Keys:
- any ModelConfig field (n_embd, n_layer, n_head, block_size, ...) or TrainConfig field
  (batch_size, learning_rate, warmup_steps, min_lr_ratio, weight_decay, grad_clip, beta1, beta2,
  eps, optimizer, muon_lr_scale, ...);
- act=relu|gelu|silu|relu_: the feed-forward's activation (patched onto this run's model only;
  relu_ is ReLU in place, the same numbers without a new tensor);
- init=gpt2|plain|zero: GPT-2's scaled init of the projections into the residual stream (the
  model's own), plain N(0, 0.02) everywhere, or those projections zero (as modded-nanogpt does);
- threads=N: torch threads for this run.

Every run is the session's own work at max speed: a checkpoint at step 0, then one every
max_steps / 11 steps and the last at the end (12 in all, as the default 2,200 steps / 200), each
with the loss on 8 fixed batches of both splits, a 100-character sample, all attention and the
top-10 next characters. By default the run has the trainer's time budget: its cosine schedule
follows the seconds (checkpoints' included) and ends at the budget, with a checkpoint every
budget / 11 seconds, so a change of the machine's load mid-run costs steps, not the schedule's
end. With --steps-schedule its step count is instead fitted to the budget from a calibration
(`--probe` steps and 3 checkpoints timed on a throw-away trainer), as a fixed-steps run; training
stops at the budget wherever it is and the model is measured then. Runs alternate in one process, candidate
after candidate, round after round (a busy machine slows all alike); each run trains in a fresh
thread with its torch threads. Prints every run, then per candidate the median validation loss and
its difference from "default" (first candidate) in the same rounds, and the last sample.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import threading
import time
from dataclasses import fields, replace
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _harness import loadavg, machine, shakespeare  # noqa: E402
from llmbreaker.engine.model import FeedForward, ModelConfig  # noqa: E402
from llmbreaker.engine.presets import MODEL_SIZES, default_model_size, default_train_config  # noqa: E402
from llmbreaker.engine.trainer import TrainConfig, Trainer  # noqa: E402
from llmbreaker.engine.words import real_word_share, word_set  # noqa: E402

MODEL_KEYS = {f.name for f in fields(ModelConfig)}
TRAIN_KEYS = {f.name for f in fields(TrainConfig)}
CHECKPOINTS = 12  # as the default run: step 0 and every 200 of 2,200
ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu, "silu": F.silu, "relu_": lambda x: F.relu(x, inplace=True)}


def parse(spec: str) -> tuple[str, dict]:
    name, _, body = spec.partition(":")
    changes = {}
    for item in filter(None, (body if body else ("" if name == "default" else name)).split(",")):
        key, _, raw = item.partition("=")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        changes[key.strip()] = value
    return name, changes


def build(text: str, changes: dict, steps: int, seed: int) -> Trainer:
    model = replace(MODEL_SIZES[default_model_size("watch")], **{k: v for k, v in changes.items() if k in MODEL_KEYS})
    train = {k: v for k, v in changes.items() if k in TRAIN_KEYS}
    interval = max(1, round(steps / (CHECKPOINTS - 1)))
    cfg = replace(default_train_config("watch"), **train, max_steps=steps, eval_interval=interval, seed=seed)
    unknown = set(changes) - MODEL_KEYS - TRAIN_KEYS - {"act", "init", "threads"}
    if unknown:
        raise SystemExit(f"unknown keys: {', '.join(sorted(unknown))}")
    trainer = Trainer(text, model, cfg)
    act = changes.get("act", "relu")
    if act != "relu":
        fn = ACTIVATIONS[act]
        for m in trainer.model.modules():
            if isinstance(m, FeedForward):
                m.forward = (lambda m: lambda x: m.dropout(m.down(fn(m.up(x)))))(m)
    init = changes.get("init", "gpt2")
    if init != "gpt2":
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            for name, p in trainer.model.named_parameters():
                if name.endswith(("proj.weight", "down.weight", "down_w")):
                    nn.init.normal_(p, 0.0, 0.02) if init == "plain" else nn.init.zeros_(p)
        trainer.optimizer = trainer._make_optimizer()
    return trainer


def one_run(text: str, changes: dict, steps: int, seed: int, deadline: float | None) -> dict:
    trainer = build(text, changes, steps, seed)
    t0 = time.perf_counter()
    last = trainer.checkpoint()
    n_ckpt = 1
    while not trainer.done:
        if deadline is not None and time.perf_counter() - t0 >= deadline:
            last = trainer.checkpoint()  # out of time: measure now
            n_ckpt += 1
            break
        trainer.step()
        if trainer.is_checkpoint_step():
            last = trainer.checkpoint()
            n_ckpt += 1
    return _result(trainer, last, n_ckpt, time.perf_counter() - t0, steps)


def timed_run(text: str, changes: dict, budget: float, seed: int) -> dict:
    """The run in `budget` seconds of wall time whatever the machine's load: the trainer's time
    budget (its cosine schedule follows the seconds, not the steps), with the checkpoints' time
    counted in, and a checkpoint every budget / 11 seconds (12 in all with step 0's; the last at
    the end)."""
    trainer = build(text, dict(changes, time_budget=budget), 10_000, seed)
    trainer.config = replace(trainer.config, eval_interval=10_000)
    t0 = time.perf_counter()
    last, n_ckpt = trainer.checkpoint(), 1
    while not trainer.done:
        trainer.step()
        elapsed = time.perf_counter() - t0
        if trainer.done or elapsed >= n_ckpt * budget / (CHECKPOINTS - 1):
            c0 = time.perf_counter()
            last, n_ckpt = trainer.checkpoint(), n_ckpt + 1
            trainer.train_seconds += time.perf_counter() - c0  # the schedule runs on wall time
    return _result(trainer, last, n_ckpt, time.perf_counter() - t0, trainer.step_count)


def _result(trainer: Trainer, last, n_ckpt: int, seconds: float, planned: int) -> dict:
    return {"seconds": seconds, "steps": trainer.step_count, "planned": planned, "val_loss": last.val_loss,
            "train_loss": last.train_loss, "sample": last.sample, "checkpoints": n_ckpt}


def in_thread(fn, threads: int):
    out = {}

    def target():
        torch.set_num_threads(threads)
        try:
            out["result"] = fn()
        except Exception as e:  # a diverging recipe is a result, not a crash of the search
            out["result"] = {"error": repr(e)}

    t = threading.Thread(target=target)
    t.start()
    t.join()
    return out["result"]


def calibrate(text: str, changes: dict, probe: int, seed: int) -> tuple[float, float]:
    """Seconds per training step (over `probe` steps) and per checkpoint (the mean of 3) of this
    recipe, on a throw-away trainer."""
    trainer = build(text, changes, 10 * probe, seed)
    trainer.checkpoint()  # warm-up
    t0 = time.perf_counter()
    for _ in range(probe):
        trainer.step()
    t_step = (time.perf_counter() - t0) / probe
    t0 = time.perf_counter()
    for _ in range(3):
        trainer.checkpoint()
    return t_step, (time.perf_counter() - t0) / 3


def budget_run(text: str, changes: dict, budget: float, seed: int, probe: int, threads: int,
               timed: bool = True) -> dict:
    """One run in the budget: by time (`timed_run`), or with a step count that fits the budget:
    the steps' time plus its 12 checkpoints' time (calibrated first) make the budget, so its cosine
    schedule ends when the time does (the schedule of a fixed-steps run)."""
    def go():
        if timed:
            try:
                return timed_run(text, changes, budget, seed)
            except Exception as e:  # noqa: BLE001
                return {"error": repr(e)}
        try:
            t_step, t_ckpt = calibrate(text, changes, probe, seed)
        except Exception as e:  # noqa: BLE001
            return {"error": repr(e)}
        steps = max(CHECKPOINTS - 1, int((budget - CHECKPOINTS * t_ckpt) / t_step))
        res = one_run(text, changes, steps, seed, budget)
        res.update(calibration_ms_per_step=1000 * t_step, calibration_s_per_checkpoint=t_ckpt)
        return res
    return in_thread(go, int(changes.get("threads", threads)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("candidates", nargs="*", default=["default"])
    ap.add_argument("--seconds", type=float, default=25.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--probe", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--json", help="write every run here (JSON lines)")
    ap.add_argument("--steps-schedule", action="store_true",
                    help="fit a step count to the budget from a calibration (a fixed-steps run) instead of "
                         "the trainer's time budget (robust to a machine whose load changes)")
    ap.add_argument("--match-steps", type=int, default=0,
                    help="instead of --seconds: the budget in which the default run takes this many steps "
                         "(calibrated here first), to search on a machine of another speed")
    args = ap.parse_args()
    cands = [parse(c) for c in args.candidates]
    if cands[0][0] != "default":
        cands.insert(0, ("default", {}))
    text = shakespeare()
    print(machine(), flush=True)
    if args.match_steps:
        t_step, t_ckpt = in_thread(lambda: calibrate(text, {}, 300, args.seed), args.threads)
        args.seconds = args.match_steps * t_step + CHECKPOINTS * t_ckpt
        print(f"default: {1000 * t_step:.1f} ms a step, {t_ckpt:.2f} s a checkpoint, so {args.match_steps} steps "
              f"and {CHECKPOINTS} checkpoints take {args.seconds:.1f} s: the budget", flush=True)
    print(f"budget {args.seconds:g} s of wall time per run, {args.threads} torch thread(s) unless a candidate "
          f"says, {args.rounds} round(s), pid {os.getpid()}", flush=True)
    results = {name: [] for name, _ in cands}
    out = open(args.json, "a") if args.json else None
    for r in range(args.rounds):
        for name, changes in cands:
            res = budget_run(text, changes, args.seconds, args.seed + r, args.probe, args.threads,
                             timed=not args.steps_schedule)
            res.update(name=name, round=r, load=loadavg())
            results[name].append(res)
            if out:
                out.write(json.dumps(res) + "\n")
                out.flush()
            if "error" in res:
                print(f"round {r + 1} {name}: {res['error']}", flush=True)
                continue
            print(f"round {r + 1} {name:28s} {res['steps']:5d} steps ({res['planned']}) in {res['seconds']:5.1f} s, "
                  f"{res['checkpoints']} checkpoints, val {res['val_loss']:.3f} train {res['train_loss']:.3f} "
                  f"(load {res['load']})", flush=True)
    print(f"\nmedians (load average at the end {loadavg()}):")
    base = results["default"]
    for name, runs in results.items():
        ok = [x for x in runs if "error" not in x]
        if not ok:
            print(f"{name:28s} failed")
            continue
        med = lambda k: statistics.median(x[k] for x in ok)  # noqa: E731
        diffs = [x["val_loss"] - b["val_loss"] for x, b in zip(runs, base) if "error" not in x and "error" not in b]
        words = statistics.median(real_word_share(x["sample"], word_set(text)) for x in ok)
        print(f"{name:28s} val {med('val_loss'):.3f}  vs default {statistics.median(diffs):+.3f}  "
              f"steps {med('steps'):.0f}  {med('steps') / med('seconds'):.0f} steps/s  real words {words:.0%}")
    for name, runs in results.items():
        ok = [x for x in runs if "error" not in x]
        if ok:
            print(f"  {name}: {ok[-1]['sample'][:100]!r}")


if __name__ == "__main__":
    main()
