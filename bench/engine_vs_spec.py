"""Benchmark: the default Shakespeare run of our engine at max speed against a literal
implementation of the spec's model and loop doing the same work, alternating, in one process.

    python bench/engine_vs_spec.py [--rounds 2] [--steps N]

Both run the way the app runs a trainer: in a background thread with one torch thread (what the
session manager gives every trainer). Same model
size, steps, batch, learning-rate schedule and checkpoints (loss on both splits, all attention, a
100-character sample). Prints each run, then the medians, the ratio and the validation losses.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from llmbreaker.engine.corpus import bundled_text  # noqa: E402
from llmbreaker.engine.presets import DEFAULT_MODEL_SIZE, MODEL_SIZES  # noqa: E402
from llmbreaker.engine.session import SessionManager, State, TrainingRequest  # noqa: E402
from llmbreaker.engine.trainer import TrainConfig  # noqa: E402
from spec_reference import run_spec_loop  # noqa: E402


def in_thread(fn, threads: int):
    """Run fn in a fresh thread with `threads` torch threads."""
    out = {}

    def target():
        torch.set_num_threads(threads)
        out["result"] = fn()

    t = threading.Thread(target=target)
    t.start()
    t.join()
    return out["result"]


def run_engine(text, model, train):
    manager = SessionManager()
    session = manager.session_for("bench", "watch")
    session.set_speed("max")
    t0 = time.perf_counter()
    session.play(TrainingRequest(text, model, train, label="Shakespeare"))
    while session.active:
        time.sleep(0.05)
    seconds = time.perf_counter() - t0
    session.drain()
    assert session.state == State.COMPLETED, session.history.message
    last = session.history.checkpoints[-1]
    manager.shutdown()
    return {"seconds": seconds, "steps_per_s": train.max_steps / seconds, "val_loss": last.val_loss,
            "sample": last.sample}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=None, help="override the default number of steps")
    args = parser.parse_args()

    text = bundled_text("shakespeare")
    model = MODEL_SIZES[DEFAULT_MODEL_SIZE]
    train = TrainConfig() if args.steps is None else TrainConfig(max_steps=args.steps)
    print(f"model {model.n_embd} dims / {model.n_layer} layers / {model.n_head} heads, block {model.block_size}; "
          f"{train.max_steps} steps, batch {train.batch_size}, lr {train.learning_rate}, "
          f"checkpoint every {train.eval_interval}; torch {torch.__version__}")
    threads = SessionManager().threads_per_trainer()
    print(f"torch threads per run: {threads} (what the session manager gives a trainer)")
    ours, spec = [], []
    for r in range(args.rounds):
        ours.append(in_thread(lambda: run_engine(text, model, train), threads))
        print(f"round {r + 1} engine : {ours[-1]['seconds']:6.1f} s  {ours[-1]['steps_per_s']:6.1f} steps/s  "
              f"val loss {ours[-1]['val_loss']:.3f}", flush=True)
        spec.append(in_thread(lambda: run_spec_loop(
            text, model.n_embd, model.n_layer, model.n_head, model.block_size, train.batch_size, train.max_steps,
            train.learning_rate, train.eval_interval, warmup=train.warmup_steps, seed=train.seed + r,
            min_lr_ratio=train.min_lr_ratio), threads))
        print(f"round {r + 1} spec   : {spec[-1]['seconds']:6.1f} s  {spec[-1]['steps_per_s']:6.1f} steps/s  "
              f"val loss {spec[-1]['val_loss']:.3f}", flush=True)
    med = lambda runs, k: statistics.median(x[k] for x in runs)  # noqa: E731
    print()
    print(f"engine median: {med(ours, 'seconds'):.1f} s, {med(ours, 'steps_per_s'):.1f} steps/s, val loss {med(ours, 'val_loss'):.3f}")
    print(f"spec   median: {med(spec, 'seconds'):.1f} s, {med(spec, 'steps_per_s'):.1f} steps/s, val loss {med(spec, 'val_loss'):.3f}")
    print(f"speed-up (spec time / engine time): {med(spec, 'seconds') / med(ours, 'seconds'):.2f}x")
    print(f"engine's last sample: {ours[-1]['sample']!r}")


if __name__ == "__main__":
    main()
