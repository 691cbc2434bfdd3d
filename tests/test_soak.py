"""Soak: 200 sessions created, run, paused, stepped and stopped in one process, several at once.
Afterwards no training thread is alive, every trainer (model, optimizer, batches) has been freed,
and the process's memory is back within a stated margin of where it started."""
import gc
import random
import time
import weakref

import pytest

from llmbreaker.engine.corpus import bundled_text
from llmbreaker.engine.session import _return_freed_memory, SessionManager, State, TrainingRequest, TrainingSession
from llmbreaker.engine.trainer import Trainer

from conftest import TINY_MODEL, tiny_train, trainer_threads
from test_session import wait_for

pytestmark = pytest.mark.slow

SESSIONS = 200
AT_ONCE = 8  # sessions being driven at the same time (the manager lets 2 of them train)
# Memory after the soak may exceed memory before it by at most this. The allocator keeps some
# freed pages; a leak of the trainers alone would be about 200 x (model + optimizer + history).
MARGIN_MB = 60


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    import os
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_200_sessions_leave_no_thread_no_trainer_and_memory_near_the_start():
    text = bundled_text("childrens")
    manager = SessionManager(max_running=2)
    trainers: list[weakref.ref] = []

    def factory(request):
        t = Trainer(request.text, request.model, request.train)
        trainers.append(weakref.ref(t))
        return t

    def drive(i: int) -> TrainingSession:
        rng = random.Random(i)
        s = manager.session_for(f"tab-{i}", rng.choice(["watch", "cinema", "style"]), trainer_factory=factory)
        s.set_speed(rng.choice(["max", "max", "10x"]))
        s.play(TrainingRequest(text, TINY_MODEL, tiny_train(max_steps=rng.choice([20, 40, 200]))))
        return s

    def finish(s: TrainingSession, rng: random.Random) -> None:
        action = rng.choice(["complete", "stop", "pause-step-stop", "pause-resume"])
        if action == "stop":
            s.stop()
        elif action == "pause-step-stop":
            s.pause()
            if s.state == State.PAUSED:
                s.step_once()
            s.stop()
        elif action == "pause-resume":
            s.pause()
            s.resume()
        wait_for(lambda: not s.active, timeout=60, what="session end")
        s.drain()
        assert s.state in (State.COMPLETED, State.STOPPED), (s.state, s.history.message)
        manager.remove(s)

    # Warm up first (torch's kernels, allocator pools), so the baseline is a server that has trained.
    for i in range(4):
        finish(drive(-1 - i), random.Random(i))
    gc.collect()
    _return_freed_memory()  # as the server does when sessions end: the baseline is freed memory given back
    before = rss_mb()

    rng = random.Random(2026)
    live: list[TrainingSession] = []
    started = time.monotonic()
    for i in range(SESSIONS):
        live.append(drive(i))
        if len(live) >= AT_ONCE:
            finish(live.pop(rng.randrange(len(live))), rng)
    while live:
        finish(live.pop(), rng)
    seconds = time.monotonic() - started

    assert manager.all_sessions() == []
    manager.shutdown()
    assert trainer_threads() == []
    gc.collect()
    alive = sum(ref() is not None for ref in trainers)
    assert alive == 0, f"{alive} trainers (models, optimizers) still in memory"
    # What is kept, not what glibc caches: in the full suite (800+ MB of earlier tests' heap) its
    # arenas held 80 MB of freed pages once, where the server would have returned them.
    _return_freed_memory()
    after = rss_mb()
    print(f"soak: {SESSIONS} sessions in {seconds:.0f} s; RSS {before:.0f} MB before, {after:.0f} MB after")
    assert after - before <= MARGIN_MB, f"memory grew by {after - before:.0f} MB"
