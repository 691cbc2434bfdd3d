"""Benchmark: many people training at once in one server process.

    python bench/scale.py [--counts 1 2 4 8 16] [--speeds 1x max] [--steps 2200] [--uncapped 8]

N sessions press Play together on the app's default run (Shakespeare, the "Small" model,
TrainConfig(), the next-token prompt the page uses), in one process, through a SessionManager made
as the app makes it (max_running=2, llmbreaker/ui/shell.py): at most two trainers run, the others
wait in line. Events are drained twice a second, as an open page would. Measured per group:
- aggregate steps per second (N x steps / time until the last run ends);
- each run's time from Play to completed, against the solo time (a single session run alone,
  alternating with the groups in the same process: solo, 2, 4, solo, 8, 16, solo; median of the
  solos), and its time once it held a trainer slot;
- how the cap and the pacing share the cores: how many waited for a slot and how long; each
  trainer thread's CPU time against its running time (share of a core it got); the time it slept
  for the pace (1x), from the session's own pacing function;
- memory: the process's RSS before, at its peak, and after (all runs ended, their histories kept).
With --uncapped N, one more group of N sessions at 1x with max_running=N (no line: every run
starts at once and the threads share the two cores), the setting the issue's target implies.
Prints figures only.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import loadavg, machine, rss_mb, thread_cpu  # noqa: E402
from llmbreaker.engine.corpus import bundled_text  # noqa: E402
from llmbreaker.engine.presets import DEFAULT_MODEL_SIZE, MODEL_SIZES, next_token_prompt  # noqa: E402
from llmbreaker.engine.session import SessionManager, State, TrainingRequest  # noqa: E402
from llmbreaker.engine.trainer import TrainConfig  # noqa: E402

APP_MAX_RUNNING = 2  # the app's cap on the 2-core machine measured: one trainer per core (session.available_cores)


def run_group(n: int, speed: str, request: TrainingRequest, max_running: int = APP_MAX_RUNNING) -> dict:
    gc.collect()
    manager = SessionManager(max_running=max_running)
    sessions = [manager.session_for(f"person-{i}", "watch") for i in range(n)]
    paced = {}
    for s in sessions:
        s.set_speed(speed)
        paced[s.id] = 0.0
        original = s._pace_delay

        def counting(step, max_steps, s=s, original=original):
            delay = original(step, max_steps)
            if delay > 0:
                paced[s.id] += delay
            return delay

        s._pace_delay = counting
    rss0 = rss_mb()
    peak = rss0
    t0 = time.monotonic()
    for s in sessions:
        s.play(request)
    slot, end, cpu, tids = {}, {}, {}, {}
    last_drain = 0.0
    while len(end) < n:
        now = time.monotonic()
        for s in sessions:
            if s.id not in slot and s.id in manager._running:
                slot[s.id] = now
            t = s._thread
            if t is not None and t.native_id and s.id not in tids:
                tids[s.id] = t.native_id
            if s.id in tids and s.id not in end:
                c = thread_cpu(os.getpid(), tids[s.id])
                if c is not None:
                    cpu[s.id] = c
            if s.id not in end and not s.active:
                end[s.id] = now
        if now - last_drain >= 0.5:
            for s in sessions:
                s.drain()
            last_drain = now
        peak = max(peak, rss_mb())
        time.sleep(0.05)
    for s in sessions:
        s.drain()
    states = {s.state for s in sessions}
    assert states == {State.COMPLETED}, states
    rss_after = rss_mb()
    # What an ended session keeps for its page: the checkpoints (attention, samples), the losses and
    # the trained model's file. RSS also holds memory freed but not given back to the system.
    kept = statistics.median(sum(c.attention.nbytes + len(c.sample) for c in s.history.checkpoints)
                             + len(s.history.model_file or b"") + 16 * len(s.history.losses) for s in sessions)
    runs = []
    for s in sessions:
        start = slot.get(s.id, t0)
        runs.append({"wait": start - t0, "total": end[s.id] - t0, "running": end[s.id] - start,
                     "seconds": s.history.seconds, "cpu": cpu.get(s.id, float("nan")), "paced": paced[s.id]})
    manager.shutdown()
    del sessions, manager
    gc.collect()
    wall = max(r["total"] for r in runs)
    return {"n": n, "speed": speed, "wall": wall, "steps_per_s": n * request.train.max_steps / wall, "runs": runs,
            "rss0": rss0, "peak": peak, "rss_after": rss_after, "kept": kept, "max_running": max_running}


def show(g: dict, solo: float) -> None:
    runs = g["runs"]
    waited = [r["wait"] for r in runs if r["wait"] > 1.0]
    ratio = [r["total"] / solo for r in runs]
    run_ratio = [r["running"] / solo for r in runs]
    share = [r["cpu"] / r["running"] for r in runs if r["running"] > 0]
    within = sum(x <= 1.10 for x in ratio)
    trainers = min(g["n"], g["max_running"])
    print(f"  {g['speed']:>3s} N={g['n']:2d} cap={g['max_running']:2d}  {g['steps_per_s']:7.1f} steps/s  all done "
          f"{g['wall']:6.1f} s | Play->done / solo: median {statistics.median(ratio):4.2f} max {max(ratio):4.2f} "
          f"({within}/{len(runs)} within 10%) | slot->done / solo: median {statistics.median(run_ratio):4.2f} "
          f"max {max(run_ratio):4.2f} | waited: {len(waited)} of {len(runs)}, median "
          f"{statistics.median(waited) if waited else 0:5.1f} s, max {max(waited, default=0):5.1f} s | core share "
          f"{statistics.median(share):4.2f} | paced sleep {statistics.median(r['paced'] for r in runs):4.1f} s | RSS "
          f"{g['rss0']:5.0f} -> peak {g['peak']:5.0f} (+{(g['peak'] - g['rss0']) / trainers:4.0f} MB per running trainer) "
          f"-> after {g['rss_after']:5.0f} MB (+{(g['rss_after'] - g['rss0']) / g['n']:4.1f} MB per ended session; its history "
          f"holds {g['kept'] / 1e6:.2f} MB)",
          flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", type=int, nargs="*", default=[1, 2, 4, 8, 16])
    parser.add_argument("--speeds", nargs="*", default=["1x", "max"])
    parser.add_argument("--steps", type=int, default=TrainConfig().max_steps)
    parser.add_argument("--uncapped", type=int, nargs="*", default=[8],
                        help="also run these counts at 1x with max_running=N (no waiting line)")
    args = parser.parse_args()

    text = bundled_text("shakespeare")
    train = replace(TrainConfig(), max_steps=args.steps, next_prompt=next_token_prompt("shakespeare", text))
    request = TrainingRequest(text, MODEL_SIZES[DEFAULT_MODEL_SIZE], train, label="Shakespeare")
    print(f"machine: {machine()}")
    print(f"run: Shakespeare, model '{DEFAULT_MODEL_SIZE}', {train.max_steps} steps (default {TrainConfig().max_steps}), "
          f"checkpoint every {train.eval_interval}; SessionManager(max_running={APP_MAX_RUNNING}), "
          f"{SessionManager().threads_per_trainer()} torch thread per trainer")
    results = {}
    for speed in args.speeds:
        print(f"\nspeed {speed}:")
        solos = []
        others = [n for n in args.counts if n != 1]
        # solo, two groups, solo, two groups, solo ... (the reference alternates with the groups)
        order = ["solo"]
        for i, n in enumerate(others):
            order.append(n)
            if i % 2 == 1 or i == len(others) - 1:
                order.append("solo")
        for item in order:
            if item == "solo":
                g = run_group(1, speed, request)
                solos.append(g["runs"][0]["total"])
                print(f"  {speed:>3s} solo: {solos[-1]:6.1f} s Play->done ({g['runs'][0]['seconds']:.1f} s as the page "
                      f"shows it), core share {g['runs'][0]['cpu'] / g['runs'][0]['running']:4.2f}, paced sleep "
                      f"{g['runs'][0]['paced']:4.1f} s; load {loadavg()}", flush=True)
                results.setdefault((speed, 1), g)
            else:
                results[(speed, item)] = run_group(item, speed, request)
                print(f"  {speed:>3s} N={item:2d} done in {results[(speed, item)]['wall']:6.1f} s; load {loadavg()}",
                      flush=True)
        solo = statistics.median(solos)
        print(f"  solo reference at {speed}: median {solo:.1f} s of {len(solos)} ({', '.join(f'{x:.1f}' for x in solos)})")
        for n in args.counts:
            if (speed, n) in results:
                show(results[(speed, n)], solo)
        if speed == "1x" and args.uncapped:
            for n in args.uncapped:
                g = run_group(n, "1x", request, max_running=n)
                show(g, solo)


if __name__ == "__main__":
    main()
