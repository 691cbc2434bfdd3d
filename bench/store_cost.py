"""What keeping a run in the run store costs the engine: the Watch page's default run (Small model,
Shakespeare, checkpoints every 200 steps) trained through a TrainingSession at max speed with the
store on (store_runs: token, request, losses, checkpoints and model queued to the writer thread)
and off, interleaved, in the same process, one torch thread. Prints steps/s per round, the medians
and their ratio, the writer's lag after the run, and the stored run's size.

    python bench/store_cost.py [--steps 600] [--rounds 5]

The database is a temporary SQLite file (LLMBREAKER_DB_URL is not read), so it never touches
data/llmbreaker.db.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from llmbreaker.engine.corpus import bundled_text  # noqa: E402
from llmbreaker.engine.presets import DEFAULT_MODEL_SIZE, MODEL_SIZES  # noqa: E402
from llmbreaker.engine.session import SessionManager, State, TrainingRequest  # noqa: E402
from llmbreaker.engine.store import RunStore  # noqa: E402
from llmbreaker.engine.trainer import TrainConfig  # noqa: E402


def one_run(manager: SessionManager, request: TrainingRequest, keep: bool) -> tuple[float, str]:
    s = manager.session_for(f"bench-{keep}", "watch")
    s.store_runs = keep
    s.set_speed("max")
    s.play(request)
    done = threading.Event()
    while s.state not in (State.COMPLETED, State.ERROR, State.STOPPED):
        done.wait(0.05)
    s.drain()
    if s.state != State.COMPLETED:
        raise SystemExit(f"run ended {s.state.value}: {s.history.message}")
    return request.train.max_steps / s.history.seconds, s.run_token


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    store = RunStore(f"sqlite:///{tempfile.mkdtemp(prefix='lb-store-bench-')}/runs.db")
    manager = SessionManager(max_running=1, store=store)
    request = TrainingRequest(bundled_text("shakespeare"), MODEL_SIZES[DEFAULT_MODEL_SIZE],
                              replace(TrainConfig(), max_steps=args.steps), label="Shakespeare")
    rates = {False: [], True: []}
    lags = []
    try:
        one_run(manager, request, False)  # warm-up: first-run costs (allocations, caches) in neither
        for r in range(args.rounds):
            for keep in ((False, True) if r % 2 == 0 else (True, False)):  # alternate the order
                rate, token = one_run(manager, request, keep)
                rates[keep].append(rate)
                if keep:
                    t0 = time.perf_counter()
                    store.flush()
                    lags.append(time.perf_counter() - t0)
                    assert store.load_run(token).state == "completed"
                print(f"round {r + 1} store {'on ' if keep else 'off'}: {rate:7.1f} steps/s", flush=True)
        assert store.available, store.problem
        off, on = statistics.median(rates[False]), statistics.median(rates[True])
        print(f"median steps/s: store off {off:.1f}, store on {on:.1f}; on/off = {on / off:.3f} "
              f"({args.rounds} rounds of {args.steps} steps)")
        print(f"writer lag after a run (median): {statistics.median(lags) * 1000:.1f} ms")
        print(f"store: {len(store.tokens())} runs, {store.total_size() / 1e6:.2f} MB "
              f"({store.total_size() / len(store.tokens()) / 1e3:.0f} KB per run of {args.steps} steps)")
    finally:
        manager.shutdown()
        store.close()


if __name__ == "__main__":
    main()
