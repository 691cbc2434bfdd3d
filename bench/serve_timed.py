"""`streamlit run` with a stopwatch: the same server as `python -m streamlit run ...`, plus a log of
when things happen on the server side, for the browser benchmarks (latency, page cost).

    LB_BENCH_LOG=/tmp/timing.jsonl python bench/serve_timed.py run streamlit_app.py --server.port 8600

The app is not changed: four methods are wrapped, each to write one JSON line after calling the
original with the same arguments and returning its result:
- `Trainer.checkpoint`: when the trainer recorded a checkpoint (wall clock, the step, how long it
  took, the trainer thread's native id, so its CPU time can be read from /proc);
- `TrainingSession.play`: when the server handled a press of Play;
- `TrainingSession._flush`: when a run's first per-step losses were sent to its page;
- Streamlit's `exec_func_with_error_handling` as the script runner calls it: each script run (a
  full rerun or a fragment tick; whether it ended in st.rerun()): wall and CPU time of the script
  thread.
Writing a line costs microseconds; a checkpoint takes tens of milliseconds and a script run more.
The only difference from a plain server: llmbreaker (and so torch) is imported at start, before the
first page asks for it, which matters for cold start (measured with the plain server instead).
The browser and this server run on one machine, so their wall clocks are the same clock.
"""
from __future__ import annotations

import functools
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_LOG = open(os.environ.get("LB_BENCH_LOG", os.devnull), "a", buffering=1)
_LOCK = threading.Lock()


def log(**fields) -> None:
    with _LOCK:
        _LOG.write(json.dumps(fields) + "\n")


def install() -> None:
    from streamlit.runtime.scriptrunner import script_runner

    from llmbreaker.engine import session, trainer

    checkpoint = trainer.Trainer.checkpoint

    @functools.wraps(checkpoint)
    def timed_checkpoint(self, *a, **kw):
        t0 = time.time()
        result = checkpoint(self, *a, **kw)
        log(ev="checkpoint", t=time.time(), t0=t0, step=result.step, tid=threading.get_native_id(),
            max_steps=self.config.max_steps)
        return result

    trainer.Trainer.checkpoint = timed_checkpoint

    play = session.TrainingSession.play

    @functools.wraps(play)
    def timed_play(self, *a, **kw):
        log(ev="play", t=time.time(), page=self.page, speed=self.speed)
        return play(self, *a, **kw)

    session.TrainingSession.play = timed_play

    flush = session.TrainingSession._flush

    @functools.wraps(flush)
    def timed_flush(self, steps, losses):
        if steps and steps[0] == 1:  # a run's first per-step losses
            log(ev="first_losses", t=time.time(), page=self.page)
        return flush(self, steps, losses)

    session.TrainingSession._flush = timed_flush

    exec_func = script_runner.exec_func_with_error_handling

    @functools.wraps(exec_func)
    def timed_exec(func, ctx, *a, **kw):
        t0, c0 = time.time(), time.thread_time()
        result = exec_func(func, ctx, *a, **kw)
        log(ev="script", t0=t0, t=time.time(), cpu=time.thread_time() - c0,
            fragment=bool(ctx.fragment_ids_this_run), rerun=result[2] is not None, session=ctx.session_id[:8])
        return result

    script_runner.exec_func_with_error_handling = timed_exec


if __name__ == "__main__":
    install()
    from streamlit.web.cli import main

    sys.argv = ["streamlit", *sys.argv[1:]]
    main(prog_name="streamlit")
