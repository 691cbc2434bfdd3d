"""A stored run, played back: what a page's live view reads from a training session, recorded.

`Recording` stands in for a `TrainingSession` wherever a page only *reads* one (its history, state,
request, the earlier runs of a comparison), so every page draws a shared or replayed run with the
very code that draws it live. It never trains: its `drain()` moves a clock through the recorded
timeline (checkpoint times, pauses excluded, as `Checkpoint.elapsed` holds them), so a class of
thirty replaying a run costs the server thirty page redraws and no training at all.

Three ways to show a series of stored runs (a run alone is a series of one):
- at its end (`at_end()`), the whole run at once, as a viewer first sees it;
- replayed from step 0 (`play()`), at the recorded pace times the speed, with pause, step (to the
  next checkpoint), stop (jump to the end) and speed, like training;
- followed (`follow=`), while another server thread or replica still trains it: `drain()` reads the
  store again at most every FOLLOW_SECONDS.

Engine side: never imports streamlit.
"""
from __future__ import annotations

import bisect
import threading
import time
from dataclasses import fields
from typing import Callable

from llmbreaker.engine.session import History, State, TrainingRequest, request_from_settings
from llmbreaker.engine.trainer import Checkpoint
from llmbreaker.engine.words import word_set

# Replay speeds: a multiple of the recorded pace, the training speeds' labels (0.25x and 0.5x: slow
# motion for explaining). "max" has no meaning for a recording (it has no machine to go flat out
# on): it is the fastest pace that still shows every checkpoint.
REPLAY_SPEEDS: dict[str, float] = {"0.25x": 0.25, "0.5x": 0.5, "1x": 1.0, "2x": 2.0, "5x": 5.0, "10x": 10.0,
                                   "max": 25.0}
FOLLOW_SECONDS = 2.0  # a followed run is read again this often (only checkpoints change it much)
# A run whose store row says "running" but that nobody here trains is being trained by another
# replica if its row changed this recently (a checkpoint at least every few seconds); older, the
# server that trained it stopped: "interrupted".
LIVE_ELSEWHERE_SECONDS = 60.0
_FINAL_STATES = {"completed": State.COMPLETED, "stopped": State.STOPPED, "error": State.ERROR,
                 "interrupted": State.STOPPED, "running": State.STOPPED}
_CHECKPOINT_FIELDS = [f.name for f in fields(Checkpoint)]


def stored_history(run, words: frozenset | None = None) -> History:
    """A stored run (store.StoredRun) as the History a page draws from, whole."""
    checkpoints = [Checkpoint(**{n: getattr(c, n) for n in _CHECKPOINT_FIELDS}) for c in run.checkpoints]
    info = run.info or {}
    ended = {"completed": "completed", "error": "error"}.get(run.state, "stopped" if run.state != "running" else "")
    return History(steps=list(run.steps), losses=list(run.losses), checkpoints=checkpoints,
                   probe_tokens=info.get("probe_tokens", []), next_prompt=info.get("next_prompt", ""),
                   vocab=info.get("vocab", []), words=words if words is not None else word_set(run.text),
                   step=run.step, total_steps=info.get("total_steps", run.total_steps),  # fitted, if it was
                   parameters=info.get("parameters", 0),
                   message=run.message, seconds=run.seconds, model_file=run.model_file,
                   best_step=info.get("best_step"), stopped_early=bool(info.get("stopped_early", False)),
                   request=stored_request(run), ended=ended)


def stored_request(run) -> TrainingRequest | None:
    """The request a stored run was trained with, or None when its settings cannot be read."""
    try:
        return request_from_settings(run.text, run.label, run.settings or {})
    except (TypeError, ValueError):
        return None


def run_duration(run) -> float:
    """Seconds of the recorded timeline: training time (pauses excluded), at least the last
    checkpoint's time. A run with no timing at all (an old or imported one) gets one second per
    checkpoint so that it still unfolds."""
    last = max((c.elapsed for c in run.checkpoints), default=0.0)
    if run.seconds:
        return max(float(run.seconds), last)
    return last if last > 0 else float(len(run.checkpoints))


class _Timeline:
    """One run's recorded timeline: which checkpoints and loss points exist at time t."""

    def __init__(self, run, words: frozenset):
        self.run = run
        self.whole = stored_history(run, words)
        self.duration = run_duration(run)
        cps = self.whole.checkpoints
        timed = any(c.elapsed > 0 for c in cps)
        # (time, step) points to interpolate the step reached at a time: the recorded checkpoint
        # times, or evenly spread ones for a run without timing.
        self.times = [c.elapsed if timed else float(i) for i, c in enumerate(cps)]
        self.cp_steps = [c.step for c in cps]
        if not self.times or self.times[-1] < self.duration:
            self.times.append(self.duration)
            self.cp_steps.append(max(run.step, self.cp_steps[-1] if self.cp_steps else 0))

    def step_at(self, t: float) -> int:
        if not self.times:
            return 0
        if t >= self.times[-1]:
            return self.cp_steps[-1]
        i = bisect.bisect_right(self.times, t)
        if i == 0:
            t0, s0 = 0.0, 0
        else:
            t0, s0 = self.times[i - 1], self.cp_steps[i - 1]
        t1, s1 = self.times[i], self.cp_steps[i]
        return int(s0 + (s1 - s0) * (t - t0) / (t1 - t0)) if t1 > t0 else s1

    def history_at(self, t: float, run_id: int) -> History:
        """The history as the page had it t seconds into training: nothing of the end (time, model
        file, how it ended) before the end."""
        w = self.whole
        if t >= self.duration:
            h = History(**{f.name: getattr(w, f.name) for f in fields(History)})
            h.run_id = run_id
            return h
        n_cp = bisect.bisect_right(self.times[:len(w.checkpoints)], t)
        step = max(self.step_at(t), w.checkpoints[n_cp - 1].step if n_cp else 0)
        n_loss = bisect.bisect_right(w.steps, step)
        return History(run_id=run_id, steps=w.steps[:n_loss], losses=w.losses[:n_loss],
                       checkpoints=w.checkpoints[:n_cp], probe_tokens=w.probe_tokens, next_prompt=w.next_prompt,
                       vocab=w.vocab, words=w.words, step=step, total_steps=w.total_steps, parameters=w.parameters,
                       request=w.request)


class Recording:
    """A series of stored runs, read like a TrainingSession (see the module's docstring).

    `runs`: store.StoredRun objects, oldest first. `follow`: a function that reads the series again
    (None: the recording is complete). `clock`: seconds, monotonic (tests pass their own)."""

    read_only = True
    away = False
    private = False
    trainer = None

    def __init__(self, runs: list, follow: Callable[[], list] | None = None, clock=time.monotonic):
        if not runs:
            raise ValueError("a recording needs at least one run")
        self.token = getattr(runs[0], "series", "") or runs[0].token  # the address's ?run=
        self.run_token = runs[-1].token
        self.clock = clock
        self._follow = follow
        self._lock = threading.Lock()  # a tab's fragments may drain from two script threads
        self._last_read = clock()
        self._words = word_set(runs[0].text)
        self._load(runs)
        self.speed = "1x"
        self.replaying = False  # True once Play was pressed: the timeline moves
        self._paused = False
        self._position = self.total  # seconds into the series' timeline; starts at its end
        self._anchor: tuple[float, float] | None = None  # (clock, position) the moving position counts from
        self._update()

    # -- what a page reads ---------------------------------------------------------------------
    def _load(self, runs: list) -> None:
        self.runs = runs
        self.lines = [_Timeline(r, self._words) for r in runs]
        self.starts = []
        total = 0.0
        for line in self.lines:
            self.starts.append(total)
            total += line.duration
        self.total = total

    @property
    def following(self) -> bool:
        """True while the series is still trained somewhere and this recording reads it again."""
        return self._follow is not None

    @property
    def active(self) -> bool:
        """True while the picture moves (replaying, or followed): pages poll only then. A paused
        replay changes only by its buttons, which rerun the page anyway."""
        return self.state == State.RUNNING

    @property
    def position(self) -> float:
        return self._position

    def drain(self, max_events: int = 0) -> int:
        """Bring the history to now: the replay clock's position, or a fresh read of a followed
        series. Returns 1 when something changed (as a session's drain counts events)."""
        with self._lock:
            before = (self.run_id, self.state, self.history.step, len(self.history.checkpoints))
            if self._follow is not None and self.clock() - self._last_read >= FOLLOW_SECONDS:
                self._refresh()
            elif self._anchor is not None:
                t0, p0 = self._anchor
                self._position = min(self.total, p0 + (self.clock() - t0) * REPLAY_SPEEDS[self.speed])
                if self._position >= self.total:
                    self._anchor = None
            self._update()
            return int(before != (self.run_id, self.state, self.history.step, len(self.history.checkpoints)))

    def snapshot(self):
        """The run as it is now (TrainingSession.snapshot): brought to now, then its history."""
        self.drain()
        return self.history

    def touch(self) -> None:
        """A session's keep-alive; a recording needs none."""

    def _refresh(self) -> None:
        self._last_read = self.clock()
        try:
            runs = self._follow()
        except Exception:  # the store went away meanwhile: keep what was read
            return
        if not runs:
            return
        self._load(runs)
        self._position = self.total
        if not self.live_elsewhere(runs[-1]):
            self._follow = None  # it ended (or its server stopped): nothing more will come

    @staticmethod
    def live_elsewhere(run, now: float | None = None) -> bool:
        """Whether a stored run that says "running" is still trained somewhere (another thread or
        replica writes it): its row changed within LIVE_ELSEWHERE_SECONDS."""
        now = time.time() if now is None else now
        return run.state == "running" and now - (run.updated or 0) < LIVE_ELSEWHERE_SECONDS

    def _update(self) -> None:
        """history, finished, run_id, request and state for the current position."""
        p = self._position
        i = max(0, bisect.bisect_right(self.starts, p) - 1) if p < self.total else len(self.lines) - 1
        line = self.lines[i]
        self.run_id = i + 1
        self.history = line.history_at(p - self.starts[i], run_id=i + 1)
        self.finished = [self.lines[j].history_at(float("inf"), run_id=j + 1) for j in range(i)]
        self.request = self.history.request
        # The runs of the series not reached yet, as a queue's waiting runs (the Lab shows them).
        self.pending = [r for r in (later.whole.request for later in self.lines[i + 1:]) if r is not None]
        self.current = line.run
        if self._follow is not None:
            self.state = State.RUNNING
        elif p < self.total and self.replaying:
            self.state = State.PAUSED if self._paused else State.RUNNING
        else:
            self.state = _FINAL_STATES.get(self.runs[-1].state, State.COMPLETED)

    # -- replay controls ---------------------------------------------------------------------------
    def play(self) -> None:
        """Replay from step 0 (or go on, when paused)."""
        with self._lock:
            if self._follow is not None:
                return
            if self._paused and self._position < self.total:
                self._paused = False
            else:
                self._position = 0.0
                self._paused = False
            self.replaying = True
            self._anchor = (self.clock(), self._position)
            self._update()

    def pause(self) -> None:
        with self._lock:
            if self.replaying and self._anchor is not None:
                t0, p0 = self._anchor
                self._position = min(self.total, p0 + (self.clock() - t0) * REPLAY_SPEEDS[self.speed])
                self._anchor = None
                self._paused = True
                self._update()

    resume = play

    def step_once(self) -> None:
        """While paused: on to the next recorded checkpoint. While replaying: pause, then on to the
        next checkpoint (a presenter's "next", as Step does in training)."""
        with self._lock:
            if self.replaying and not self._paused and self._anchor is not None:
                t0, p0 = self._anchor
                self._position = min(self.total, p0 + (self.clock() - t0) * REPLAY_SPEEDS[self.speed])
                self._anchor = None
                self._paused = True
            if not self._paused:
                return
            later = [self.starts[i] + t for i, line in enumerate(self.lines) for t in line.times
                     if self.starts[i] + t > self._position + 1e-9]
            self._position = min(later) if later else self.total
            self._update()

    def stop(self) -> None:
        """Jump to the end: the whole run, as recorded."""
        with self._lock:
            self._position = self.total
            self._anchor = None
            self._paused = False
            self.replaying = False
            self._update()

    def at_end(self) -> None:
        self.stop()

    def set_speed(self, label: str) -> None:
        if label not in REPLAY_SPEEDS:
            return
        with self._lock:
            if self._anchor is not None:  # the position so far counts at the old speed
                t0, p0 = self._anchor
                self._position = min(self.total, p0 + (self.clock() - t0) * REPLAY_SPEEDS[self.speed])
                self._anchor = (self.clock(), self._position)
            self.speed = label

    def seconds_shown(self) -> tuple[float, float]:
        """(position, total) in seconds of recorded training, for "12 s of 25"."""
        return self._position, self.total
