"""How many torch threads a trainer may use: the rule, and the measure of the machine it reads.

A lone trainer with two OpenMP threads steps faster than with one while the second core is idle,
but as soon as anything else wants that core (the browser drawing the page on the same machine,
another benchmark, a second trainer) its two threads wait on each other at every parallel region
and it ran up to 8-10x slower on the project's 2-core VMs. So a trainer gets a second thread only
while a whole core is idle besides it: `torch_threads` (a pure function of counts), fed by
`CpuMeter` (the cores other processes kept busy since it last looked, from /proc/stat).
"""
from __future__ import annotations

import os
import time

IDLE_CORE = 0.75  # of a core: less than a quarter of it busy counts as an idle core for a second thread
MAX_THREADS = 2  # more never paid off for a model this small
# A run without a clock (TrainConfig.reproducible) always trains on one thread: one, because two are
# up to 10x slower when anything else wants the second core, and a fixed count can not follow that.
REPRODUCIBLE_THREADS = 1


def torch_threads(cores: int, threads_in_use: int, other_busy: float) -> int:
    """Torch threads for one trainer about to (go on) train. `cores`: the cores this process may use;
    `threads_in_use`: the threads of the running trainers, this one's first thread included and its
    second not; `other_busy`: the cores other work keeps busy (other processes, measured). Two
    threads when that leaves an idle core (IDLE_CORE of one) for the second; else one."""
    idle = cores - threads_in_use - max(0.0, other_busy)
    return MAX_THREADS if idle >= IDLE_CORE else 1


class CpuMeter:
    """Cores kept busy by other processes (not this one) on this process's cores, averaged since
    the last reading: /proc/stat's busy time of those cores minus this process's CPU time."""

    def __init__(self):
        self._last: tuple[float, float, float] | None = None
        self._value: float | None = None

    @staticmethod
    def _read() -> tuple[float, float, float] | None:
        try:
            cores = {f"cpu{c}" for c in os.sched_getaffinity(0)}
            busy = 0
            with open("/proc/stat") as f:
                for line in f:
                    parts = line.split()
                    if parts and parts[0] in cores:
                        values = [int(v) for v in parts[1:9]]  # user nice system idle iowait irq softirq steal
                        busy += sum(values) - values[3] - values[4]
            tick = os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, AttributeError):
            return None
        t = os.times()
        return time.monotonic(), busy / tick, t.user + t.system

    def other_busy(self, min_window: float = 0.2) -> float | None:
        """Cores other processes used since the last call (at least `min_window` s ago), or None
        when there is no earlier reading (or /proc/stat cannot be read)."""
        now = self._read()
        if now is None:
            return None
        last = self._last
        if last is not None and now[0] - last[0] < min_window:
            return self._value
        self._last = now
        if last is None:
            self._value = None
            return None
        seconds = now[0] - last[0]
        self._value = max(0.0, ((now[1] - last[1]) - (now[2] - last[2])) / seconds)
        return self._value
