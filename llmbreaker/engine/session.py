"""Training sessions in background threads, and the process-wide manager that holds them.

A `TrainingSession` belongs to one page of one browser session. Its thread runs a `Trainer`,
obeys commands (play, pause, resume, step once, speed, stop) between steps, and writes events into
the session's queue. The page drains that queue into `history` and draws from the history, so a
reload or a page switch redraws the same picture.

The `SessionManager` is one per server process (pages hold it with `st.cache_resource`). It caps
how many trainers run at once (one per available core; the rest wait in order, shown as waiting),
shares the CPU cores between the running trainers (one torch thread each), and follows whether each
run's browser session is still there (through a plain `presence(owner) -> bool | None` function the
UI gives it, so the engine never asks Streamlit itself): a run whose page has been gone for
`away_grace` seconds is paused and gives its trainer slot and its thread back, kept so that its
person can pick it up again; after `away_end` seconds of absence the session is ended and its runs
freed. Sessions whose page is connected but has not been seen for an hour are ended too.
"""
from __future__ import annotations

import atexit
import collections
import itertools
import math
import os
import queue
import threading
import time
import uuid
import weakref
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Callable

import torch

from llmbreaker.engine.cpu_share import REPRODUCIBLE_THREADS, CpuMeter, torch_threads
from llmbreaker.engine.errors import MESSAGES, UserInputError
from llmbreaker.engine.model import ModelConfig
from llmbreaker.engine.model_io import save_model
from llmbreaker.engine.store import RunStore, default_store, new_token
from llmbreaker.engine.trainer import (FIT_AFTER_SECONDS, REFIT_MIN_CHANGE, REFIT_UNTIL, Checkpoint, TrainConfig,
                                       Trainer, fit_checkpoints, fit_steps)
from llmbreaker.engine.words import word_set


class State(str, Enum):
    IDLE = "idle"
    WAITING = "waiting"
    PREPARING = "preparing"  # holds a trainer slot and builds the model, before the first step
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    COMPLETED = "completed"
    ERROR = "error"


ACTIVE_STATES = (State.WAITING, State.PREPARING, State.RUNNING, State.PAUSED)

# Label -> multiplier of the 1x pace; None is unpaced ("as fast as the machine allows"). Below 1x
# (slow motion, for explaining a run step by step) the run trains exactly as at 1x and holds still
# between steps; the holds count as paused, so the run is fitted to the same steps (_slow_hold).
SPEEDS: dict[str, float | None] = {"0.25x": 0.25, "0.5x": 0.5, "1x": 1.0, "2x": 2.0, "5x": 5.0, "10x": 10.0,
                                   "max": None}
RUN_SECONDS_AT_1X = 25.0  # the default run lasts about this long at 1x
LOSS_EVENT_SECONDS = 0.1  # per-step losses are sent in chunks at most this often
# Each page keeps one session per browser tab, so a tab never needs more than one per training
# page; the cap guards the shared process against anything that would create sessions in a loop.
MAX_SESSIONS_PER_OWNER = 8
MAX_FINISHED_RUNS = 16  # finished runs a queue keeps (the Lab shows at most 8 of them)
# A run whose browser session has gone (closed tab, reload, lost connection) keeps training this
# long, so that a dropped connection that comes straight back loses nothing; then it is paused and
# gives its slot back. After AWAY_END_SECONDS it is ended and its memory freed: Streamlit itself keeps
# a disconnected session for reconnection for two minutes, and nothing but that session can find
# the run again until the run store exists.
AWAY_GRACE_SECONDS = 20.0
AWAY_END_SECONDS = 90.0
PRESENCE_INTERVAL = 1.0  # how often the manager asks whether the sessions' pages are there
_PARKED = "parked"  # what a run returns when it stopped for its absent person, kept to go on


def _name_native_thread(name: str) -> None:
    """Give the calling thread its Python name at the system level too (Linux: 15 characters),
    so that `top -H`, /proc/<pid>/task/*/comm and bench/tabs.py can tell the app's threads from
    the web server's. Python 3.11 does not do it itself."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)  # 15: PR_SET_NAME
    except (OSError, AttributeError):
        pass


def _return_freed_memory() -> None:
    """Ask glibc to give freed heap pages back to the system. Ended sessions free many small
    objects (histories, checkpoints, samples) that glibc would otherwise keep, so the server's RSS
    would stay at its peak after a class has gone, which is what a host's memory limit counts."""
    try:
        import ctypes
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def available_cores() -> int:
    """The cores this process may really use: its CPU affinity, and a container's CPU quota (a
    cgroup limit, as on hosted platforms, where the affinity shows every core of the host)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    quota = _cgroup_cpu_quota()
    if quota is not None:
        cores = min(cores, max(1, math.floor(quota)))  # a trainer wants a whole core
    return max(1, cores)


def _cgroup_cpu_quota() -> float | None:
    """Cores allowed by the cgroup (v2 `cpu.max`, v1 `cpu.cfs_quota_us`), None when unlimited."""
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            quota = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            period = int(f.read())
        return None if quota <= 0 or period <= 0 else quota / period
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class TrainingRequest:
    """Everything needed to start a run: the text and both configurations."""
    text: str
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    label: str = ""  # what is being trained on, for people ("Shakespeare", "your file notes.txt")
    base: str = ""  # "english": fine-tune the pretrained base model (base_model.py); "": from scratch


@dataclass(frozen=True)
class Started:
    """The event a run sends once its model is built: what the page needs to draw it."""
    probe_tokens: list[str]  # the characters attention is taken on
    next_prompt: str  # next-token guesses are shown after this
    vocab: list[str]
    words: frozenset  # the text's words (words.word_set)
    parameters: int


@dataclass(frozen=True)
class Completed:
    """The event a run sends when it has trained to its end."""
    seconds: float  # wall time, pauses excluded
    model_file: bytes  # the trained model (the best checkpoint's with keep_best)
    best_step: int | None
    stopped_early: bool


@dataclass
class History:
    """What happened in the current run, as the page needs it. Bounded: at most max_steps loss
    points (max 10,000) and MAX_CHECKPOINTS checkpoints."""
    run_id: int = 0
    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    probe_tokens: list[str] = field(default_factory=list)
    next_prompt: str = ""
    vocab: list[str] = field(default_factory=list)
    words: frozenset = frozenset()
    step: int = 0
    total_steps: int = 0
    parameters: int = 0
    message: str = ""  # the last error, for the page
    seconds: float | None = None  # wall time of the finished run, pauses excluded
    model_file: bytes | None = None  # the trained model (the best checkpoint's with keep_best)
    best_step: int | None = None  # the best checkpoint, as TrainConfig.select_by says
    stopped_early: bool = False  # training ended before max_steps: no better checkpoint for `patience` ones
    request: "TrainingRequest | None" = None  # what this run trains, with which settings
    ended: str = ""  # how it ended: "completed", "stopped" or "error" ("" while it goes on)


def request_settings(request: TrainingRequest) -> dict:
    """A request's settings as the run store keeps them (JSON): everything but the text and label."""
    return {"model": asdict(request.model), "train": asdict(request.train), "base": request.base}


def request_from_settings(text: str, label: str, settings: dict) -> TrainingRequest:
    """The request a stored run was trained with ("Train your own copy"). Fields this version does
    not know are left out and missing ones take their defaults, so a run stored by another version
    still starts (a value out of range is refused by the trainer's own checks, with its message)."""
    def build(cls, values):
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (values or {}).items() if k in names})
    return TrainingRequest(text, build(ModelConfig, settings.get("model")), build(TrainConfig, settings.get("train")),
                           label=label, base=settings.get("base", "") or "")


def _default_trainer(request: TrainingRequest) -> Trainer:
    if request.base:
        from llmbreaker.engine.base_model import load_base

        return Trainer(request.text, request.model, request.train, base=load_base())
    return Trainer(request.text, request.model, request.train)


class TrainingSession:
    """One page's training run in a background thread. Thread-safe commands; one thread at most."""

    _ids = itertools.count(1)
    read_only = False  # pages hide what changes a run for a recording (llmbreaker/engine/replay.py), not for this

    def __init__(self, manager: "SessionManager", owner: str, page: str,
                 trainer_factory: Callable[[TrainingRequest], Trainer] = None):
        self.id = uuid.uuid4().hex
        self.owner = owner
        self.page = page
        self.manager = manager
        self._make_trainer = trainer_factory or _default_trainer
        self.request: TrainingRequest | None = None
        self.state = State.IDLE
        self.speed = "1x"
        self.history = History()
        self.events: queue.Queue = queue.Queue()
        self._first_points = threading.Event()
        self.last_seen = time.monotonic()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._paused = False
        self._stop = False
        self._steps_allowed = 0  # step-once credits while paused
        # Step-once steps taken and posted (step_once waits on it); whether the step in hand is one.
        self._credits_done = 0
        self._credit_step = False
        self._pace_anchor: tuple[float, int] | None = None  # (time, step) pacing is measured from
        self._hold: tuple[int, float] | None = None  # (step, until when) a slow speed holds before that step
        self._paused_seconds = 0.0
        # The training thread's steps and losses not yet posted (sent in chunks: LOSS_EVENT_SECONDS).
        self._pending_steps: list[int] = []
        self._pending_losses: list[float] = []
        self._started = 0.0  # when the current run first held a trainer slot
        self._checkpoint_seconds = 0.0  # what the run's last checkpoint took (fitting its steps)
        # A run fitted to its seconds is fitted twice: after its first second of training (with the
        # step-0 checkpoint's cost, inflated by the process's first forward passes), then at its next
        # checkpoint with a checkpoint's real cost.
        self._fits_left = 0
        self._fit_mark = (0, 0.0)
        self.trainer: Trainer | None = None
        self.run_id = 0
        # Absence: the manager asks the run to leave (_leave) when its page has been gone a while;
        # the thread then pauses, gives its slot back and ends, keeping the trainer (model,
        # optimizer, step) here: `parked`. Resume starts a new thread that goes on from there.
        self._leave_requested = False
        self._parked = False
        self._parked_at = 0.0
        self.away = False  # paused because its page was gone (for the page to say so)
        # Runs queued after the current one (the Lab's comparisons): the same thread trains them
        # one after another, so a queue goes on while its person looks at another page.
        self._pending: list[TrainingRequest] = []
        self.finished: list[History] = []  # earlier runs of a queue, oldest first (filled by drain)
        # The run store (docs/design.md §Runs): a page that keeps its runs sets store_runs; each run then gets
        # an unguessable token (its address's ?run=) and is written as it goes. browser_key is the
        # page's opaque id of the browser that owns the run, so a reloaded tab can rejoin it.
        # `private`: the run still gets a token (a reload of the same browser finds it while this
        # server holds it) but nothing of it is written. `store_owner`: the hash of the browser that
        # "Your runs" lists it for. `series_token`: the first run of the comparison a page shows
        # together (the Lab's runs, the MoE page's pair), so one address opens all of them.
        self.store_runs = False
        self.private = False
        self.run_token = ""
        self.series_token = ""
        self.store_owner = ""
        self.browser_key = ""
        self._stored_info: dict = {}
        self._kept_as = "interrupted"  # what a stop is recorded as: "stopped" only by the person's Stop

    # -- commands (called from the page's script thread) -----------------------------------
    def play(self, request: TrainingRequest | None = None) -> None:
        """Start a fresh run (from scratch) with this request, or the last one. Resumes if paused."""
        with self._cond:
            if self.state == State.PAUSED and request is None:
                self._resume_locked()
                return
            if self.state in ACTIVE_STATES:
                return  # already going: pressing Play twice does not start a second thread
            self._leave_requested = False
        self._join_thread()
        request = request or self.request
        if request is None:
            raise UserInputError("session_not_found", "Choose a text first.")
        with self._cond:
            if self._thread is not None:
                return
            self.request = request
            self.run_id = next(self._ids)
            self._new_stored_run(request, joins_series=bool(self.finished))
            self.events = queue.Queue()
            self._first_points = threading.Event()  # set when the run's first losses (or its end) are sent
            self.history = History(run_id=self.run_id, total_steps=request.train.max_steps, request=request)
            self._paused = False
            self._stop = False
            self._steps_allowed = 0
            self._set_state(State.WAITING)
            self._start_thread(request, resume=False)

    def _start_thread(self, request: TrainingRequest, resume: bool) -> None:
        self._thread = threading.Thread(target=self._run, args=(request, resume),
                                        name=f"trainer-{self.page}-{self.id[:6]}", daemon=True)
        self._thread.start()

    def enqueue(self, request: TrainingRequest) -> None:
        """Train `request` after the runs already going or queued; at once if nothing is."""
        with self._cond:
            if self._thread is not None and self.state in ACTIVE_STATES:
                self._pending.append(request)
                return
        self.drain()
        if self.history.request is not None:  # the last run of the queue stays with the earlier ones
            self._keep_finished(self.history)
        self.play(request)

    def queue_position(self) -> int | None:
        """This run's place in the line for a free trainer: 1 for the next to start, None when not waiting."""
        return self.manager.queue_position(self)

    @property
    def pending(self) -> list[TrainingRequest]:
        """The queued runs, in order (a copy)."""
        with self._cond:
            return list(self._pending)

    def cancel_pending(self, index: int | None = None) -> None:
        """Drop one queued run (by its place in `pending`), or all of them."""
        with self._cond:
            if index is None:
                self._pending.clear()
            elif 0 <= index < len(self._pending):
                del self._pending[index]

    def _next_pending(self) -> TrainingRequest | None:
        with self._cond:
            if self._stop or not self._pending:
                return None
            request = self._pending.pop(0)
            self.request = request
            self.run_id = next(self._ids)
            self._new_stored_run(request, joins_series=True)
            self.events.put(("next_run", (self.run_id, request)))
            self._set_state(State.WAITING)
            return request

    def pause(self) -> None:
        with self._cond:
            if self.state in (State.RUNNING, State.WAITING, State.PREPARING):
                self._paused = True
                self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            self._resume_locked()

    def _resume_locked(self) -> None:
        if self._paused:
            self._paused = False
            self._pace_anchor = None
            self._cond.notify_all()
        self._unpark_locked()

    def step_once(self, wait: float = 0.0) -> None:
        """While paused: exactly one optimizer step, then paused again. While training: pause, then
        exactly one step (a presenter's "next": from a running curve to one step at a time).
        `wait`: at most this many seconds until that step's events are posted, so that a page that
        drains right after (Step's rerun: a paused page does not poll) shows the step."""
        with self._cond:
            before = self._credits_done
            if self.state == State.RUNNING and not self._paused:
                self._paused = True
                self._steps_allowed += 1
                self._cond.notify_all()
            elif self.state == State.PAUSED:
                self._steps_allowed += 1
                self._cond.notify_all()
                self._unpark_locked()  # a parked run needs its thread (and a slot) for that step
            else:
                return
            deadline = time.monotonic() + wait
            while (self._credits_done == before and not self._stop and self.state in ACTIVE_STATES
                   and time.monotonic() < deadline):
                self._cond.wait(timeout=deadline - time.monotonic())

    def _leave(self) -> None:
        """The manager's call when this session's page has been gone for the grace period: pause
        and give the trainer slot and the thread back, keeping the run (see `parked`)."""
        with self._cond:
            if self.state in ACTIVE_STATES and not self._parked:
                self._leave_requested = True
                self._cond.notify_all()
        self.manager._wake_waiters()  # a run waiting in line leaves the line

    def _unpark_locked(self) -> None:
        """Go on with a parked run: a new thread waits for a slot, then trains from where it was."""
        if not self._parked:
            return
        old = self._thread
        if old is not None:
            # It set _parked in its last locked section and needs no lock after it, so this join
            # under the lock is quick and cannot deadlock.
            old.join(5.0)
        self._parked = False
        self._leave_requested = False
        self.away = False
        self._set_state(State.WAITING)
        self._start_thread(self.request, resume=True)

    @property
    def parked(self) -> bool:
        """Paused for an absent person, with no thread and no trainer slot; Resume goes on."""
        return self._parked

    def set_speed(self, label: str) -> None:
        if label not in SPEEDS:
            raise UserInputError("invalid_setting", f"Speed must be one of {', '.join(SPEEDS)}.")
        with self._cond:
            self.speed = label
            self._pace_anchor = None
            self._hold = None
            self._cond.notify_all()

    def stop(self, wait: bool = True, kept_as: str = "stopped") -> None:
        """End the run. `kept_as` is how the run store records it: "stopped" (the person's Stop), or
        "interrupted" (the server ended it: shutdown, or its person gone for good)."""
        with self._cond:
            if not self._stop:
                self._kept_as = kept_as
            self._stop = True
            self._pending.clear()  # Stop ends the whole queue, not only the run on screen
            self._cond.notify_all()
            if self._parked:  # no thread to notice: end the run here
                self._parked = False
                self.away = False
                self.trainer = None
                self.events.put(("stopped", None))
                self._keep("finish_run", self._kept_as)
                self._set_state(State.STOPPED)
        self.manager._wake_waiters()
        if wait:
            self._join_thread()

    def touch(self) -> None:
        self.last_seen = time.monotonic()

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def thread_alive(self) -> bool:
        t = self._thread
        return t is not None and t.is_alive()

    def drain(self, max_events: int = 100_000) -> int:
        """Move queued events into the history. Called by the page; returns how many there were."""
        n = 0
        h = self.history
        while n < max_events:
            try:
                kind, payload = self.events.get_nowait()
            except queue.Empty:
                break
            n += 1
            if kind == "losses":
                steps, losses = payload
                h.steps.extend(steps)
                h.losses.extend(losses)
                h.step = steps[-1]
            elif kind == "checkpoint":
                h.checkpoints.append(payload)
                # The step-0 checkpoint is posted after step 1's loss (the first point is drawn
                # at once, _first_checkpoint): a checkpoint never moves the step back.
                h.step = max(h.step, payload.step)
            elif kind == "started":
                h.probe_tokens, h.next_prompt, h.vocab = payload.probe_tokens, payload.next_prompt, payload.vocab
                h.words, h.parameters = payload.words, payload.parameters
            elif kind == "completed":
                h.seconds, h.model_file = payload.seconds, payload.model_file
                h.best_step, h.stopped_early = payload.best_step, payload.stopped_early
                h.ended = "completed"
            elif kind == "stopped":
                h.ended = "stopped"
            elif kind == "error":
                h.message = payload
                h.ended = "error"
            elif kind == "total_steps":  # fitted to this machine's speed (TrainConfig.fit_seconds)
                h.total_steps = payload
            elif kind == "next_run":  # the queue's next run starts: keep this one's history
                run_id, request = payload
                self._keep_finished(h)
                h = self.history = History(run_id=run_id, total_steps=request.train.max_steps, request=request)
        return n

    def snapshot(self) -> History:
        """The current run as it is now: the queued events drained into its history, which is
        returned (`finished` holds the queue's earlier runs). Script thread only."""
        self.drain()
        return self.history

    def clear_runs(self) -> None:
        """Stop, and forget every run of this session, finished ones included: a page starting a
        new comparison (script thread only)."""
        self.stop()
        self.drain()
        self.finished = []
        self.history = History()

    def _keep_finished(self, history: History) -> None:
        self.finished.append(history)
        del self.finished[:-MAX_FINISHED_RUNS]

    def forget_finished(self, run_id: int) -> None:
        """Drop one ended run: a finished run of the queue, or the current run once it has ended (the
        page then shows none). Script thread only."""
        self.finished = [h for h in self.finished if h.run_id != run_id]
        if self.history.run_id == run_id and not self.active:
            self.drain()
            self.history = History()

    # -- the training thread --------------------------------------------------------------
    def _set_state(self, state: State) -> None:
        self.state = state

    def _join_thread(self, timeout: float = 10.0) -> None:
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)
            if t.is_alive():  # should never happen: every wait in _run wakes on stop
                raise RuntimeError(f"training thread {t.name} did not stop")
        with self._cond:
            if self._thread is t:
                self._thread = None

    def _run(self, request: TrainingRequest, resume: bool = False) -> None:
        """Train the request, then each queued one. Stop ends the queue; a run that fails does
        not (the next variant of a comparison may well train). With `resume`, go on with the
        parked run's trainer. A run parked for its absent person ends the thread, queue kept."""
        _name_native_thread(threading.current_thread().name)
        while request is not None:
            end = self._run_one(request, resume)
            resume = False
            if end == _PARKED:
                return
            if end == State.STOPPED:
                with self._cond:
                    self._pending.clear()
                return
            request = self._next_pending()

    def _run_one(self, request: TrainingRequest, resume: bool = False) -> State | str:
        slot = False
        parked = False
        try:
            turn = self.manager._acquire_slot(self)
            if turn == "stop":  # stopped while waiting
                self._finish(State.STOPPED, "stopped", None)
                return self.state
            if turn == "leave":  # its page went away while it waited in line
                parked = True
                return self._park()
            slot = True
            self.manager._apply_thread_share(request.train)
            trainer = self.trainer if resume else None
            if trainer is None:
                with self._cond:
                    if not self._paused:
                        # An honest state while the model is built (a large text takes a moment):
                        # it holds a slot, so it is no longer waiting for one.
                        self._set_state(State.PREPARING)
                self._started = time.monotonic()
                self._paused_seconds = 0.0
                trainer = self._make_trainer(request)
                self.trainer = trainer
                parameters = sum(p.numel() for p in trainer.model.parameters())
                self.events.put(("started", Started(list(trainer.probe_tokens), trainer.next_prompt,
                                                    list(trainer.tokenizer.chars), word_set(request.text), parameters)))
                self._keep("run_info", {"probe_tokens": list(trainer.probe_tokens), "next_prompt": trainer.next_prompt,
                                        "vocab": list(trainer.tokenizer.chars), "parameters": parameters})
                with self._cond:
                    self._set_state(State.PAUSED if self._paused else State.RUNNING)
                # The step-0 checkpoint (a few tenths of a second: both splits measured, a sample) is
                # taken of this copy just after the first step, whose loss is then on the page at once.
                untrained = trainer.snapshot()
                self._fits_left = 2 if request.train.fit_seconds > 0 else 0
                self._fit_mark = (0, 0.0)  # the step and training seconds of the last fit
            else:
                untrained = None
                # The time it was parked and waited for a slot again counts as paused.
                self._paused_seconds += time.monotonic() - self._parked_at
                with self._cond:
                    self._set_state(State.PAUSED if self._paused else State.RUNNING)
            started = self._started
            self._pending_steps, self._pending_losses, last_flush = [], [], time.monotonic()
            while not trainer.done:
                if untrained is not None and self._paused:  # paused before its first step: show step 0 now
                    self._first_checkpoint(trainer, untrained)
                    untrained = None
                turn = self._wait_for_turn(trainer)
                if turn != "step":
                    self._flush_losses()
                    if turn == "leave":
                        # The slot goes back before the run counts as parked, so that a resumed
                        # thread never holds it at the same time as this one.
                        self.manager._release_slot(self)
                        slot = False
                        parked = True
                        return self._park()
                    self._finish(State.STOPPED, "stopped", None)
                    return self.state
                loss = trainer.step()
                self._pending_steps.append(trainer.step_count)
                self._pending_losses.append(loss)
                now = time.monotonic()
                if trainer.is_checkpoint_step() or now - last_flush >= LOSS_EVENT_SECONDS or self._paused \
                        or untrained is not None:
                    self._flush_losses()
                    last_flush = now
                if untrained is not None:
                    self._first_checkpoint(trainer, untrained)
                    untrained = None
                if trainer.is_checkpoint_step():
                    t_cp = time.monotonic()
                    self._checkpoint_event(trainer.checkpoint())
                    self._checkpoint_seconds = time.monotonic() - t_cp
                    self.manager._apply_thread_share(request.train)  # the machine's load now
                    if self._fits_left == 1 and not trainer.done:  # again, with a checkpoint's real cost
                        self._fit(trainer)  # and at each checkpoint after it, up to REFIT_UNTIL
                if self._fits_left == 2 and trainer.train_seconds >= FIT_AFTER_SECONDS and not trainer.done:
                    self._fit(trainer)
                if self._credit_step:  # for step_once(wait=...): its step, loss and checkpoint, is posted
                    with self._cond:
                        self._credit_step = False
                        self._credits_done += 1
                        self._cond.notify_all()
            trainer.restore_best()
            self._finish(State.COMPLETED, "completed", Completed(time.monotonic() - started - self._paused_seconds,
                                                                 save_model(trainer), trainer.best_step,
                                                                 trainer.stopped_early))
        except UserInputError as e:
            self._finish(State.ERROR, "error", e.message)
        except MemoryError:
            self._finish(State.ERROR, "error", MESSAGES["out_of_memory"])
        except Exception as e:  # a crash must end in the error state, never a dead thread in "running"
            detail = f"({type(e).__name__}: {e})" if str(e) else f"({type(e).__name__})"
            self._finish(State.ERROR, "error", f"{MESSAGES['training_failed']} {detail}")
        finally:
            if not parked:
                self.trainer = None  # frees the model and optimizer
            if slot:
                self.manager._release_slot(self)
        return self.state

    def _first_checkpoint(self, trainer: Trainer, untrained: tuple) -> None:
        """The step-0 checkpoint, of the model as it was before training (Trainer.snapshot)."""
        t_cp = time.monotonic()
        with trainer.as_of(untrained):
            self._checkpoint_event(trainer.checkpoint())
        self._checkpoint_seconds = time.monotonic() - t_cp

    def training_seconds(self) -> float:
        """Wall seconds the current run has trained, pauses and waiting in line excluded."""
        if not self._started:
            return 0.0
        return max(0.0, time.monotonic() - self._started - self._paused_seconds)

    def _fit(self, trainer: Trainer) -> None:
        """A run that should last fit_seconds: its steps fitted to this machine's measured rate
        (trainer.fit_steps), at most the steps it asked for."""
        first = self._fits_left == 2
        cfg = trainer.config
        asked, asked_interval = getattr(trainer, "_asked", (cfg.max_steps, cfg.eval_interval))[:2]
        elapsed = self.training_seconds()
        # The rate of the steps since the last fit (its torch threads may have changed since), once
        # there are enough of them to measure; the run's average before.
        mark_steps, mark_seconds = self._fit_mark
        recent = trainer.step_count - mark_steps
        rate = recent / (trainer.train_seconds - mark_seconds) if recent >= 20 and not first else None
        self._fit_mark = (trainer.step_count, trainer.train_seconds)
        # The checkpoints the run would still take at the interval it asked for, as many as fit
        # (fit_checkpoints), then the steps the rest of the time allows.
        done = trainer.step_count // cfg.eval_interval
        keep = fit_checkpoints(max(1, asked // asked_interval - done), self._checkpoint_seconds, cfg.fit_seconds - elapsed)
        steps = fit_steps(trainer.step_count, trainer.train_seconds, elapsed, self._checkpoint_seconds, keep,
                          cfg.fit_seconds, asked, rate=rate)
        before = cfg.max_steps
        if self._fits_left == 2 or abs(steps - before) > REFIT_MIN_CHANGE * before:
            trainer.refit(steps, checkpoints=done + keep)
        # Fitted again at the next checkpoint (with a checkpoint's real cost), and after it at each
        # checkpoint until REFIT_UNTIL of the steps are done.
        self._fits_left = 1 if first or trainer.step_count < REFIT_UNTIL * trainer.config.max_steps else 0
        if trainer.config.max_steps != before:
            self.events.put(("total_steps", trainer.config.max_steps))
            self._keep("run_info", {"total_steps": trainer.config.max_steps})

    def _park(self) -> str:
        """Paused for an absent person: this thread ends, the trainer stays for a later Resume."""
        with self._cond:
            if self._stop:  # Stop came while it left: it ends instead
                self.trainer = None
                self.events.put(("stopped", None))
                self._set_state(State.STOPPED)
                return State.STOPPED
            self._paused = True
            self._leave_requested = False
            self._parked_at = time.monotonic()
            self.away = True
            self._set_state(State.PAUSED)
            self._parked = True  # last: from here on the thread touches nothing shared
            return _PARKED

    def _flush_losses(self) -> None:
        """Post the losses of the steps taken since the last post (training thread only)."""
        steps, losses = self._pending_steps, self._pending_losses
        if steps:
            self._pending_steps, self._pending_losses = [], []
            self.events.put(("losses", (steps, losses)))
            self._first_points.set()
            self._keep("add_losses", steps, losses)  # these lists are never touched again

    def wait_for_first_points(self, timeout: float) -> bool:
        """Block the caller (a page, just after Play) until the run's first losses are sent or it
        ended, at most `timeout` seconds. Returns whether they are there."""
        return self._first_points.wait(timeout)

    def _checkpoint_event(self, checkpoint: Checkpoint) -> None:
        self.events.put(("checkpoint", checkpoint))
        self._keep("add_checkpoint", checkpoint)

    # -- the run store: only enqueues (the store's writer thread writes), never raises -------
    def _new_stored_run(self, request: TrainingRequest, joins_series: bool = False) -> None:
        """A new run (lock held): its token, and its request written at once, so that its address
        works from the first moment. A run that `joins_series` is shown beside the runs before it
        (a queue, or a run added to a finished comparison): it keeps their series."""
        self._kept_as = "interrupted"
        self.run_token = new_token() if self.store_runs else ""
        if not (joins_series and self.series_token):
            self.series_token = self.run_token
        self._stored_info = {}
        self._keep("start_run", self.page, request.label, request_settings(request), request.text,
                   request.train.max_steps, series=self.series_token, owner=self.store_owner)

    def _keep(self, method: str, *args, **kwargs) -> None:
        if not self.run_token or self.private:
            return
        if method == "run_info":  # several writes add to one record of the run's facts
            self._stored_info.update(args[0])
            args = (dict(self._stored_info),)
        try:
            getattr(self.manager.store, method)(self.run_token, *args, **kwargs)
        except Exception:  # a store fault must never reach training (the store reports it itself)
            pass

    def _finish(self, state: State, kind: str, payload) -> None:
        self.events.put((kind, payload))
        self._first_points.set()  # a page waiting for the first points waits no longer
        if kind == "completed":
            self._keep("run_info", {"best_step": payload.best_step, "stopped_early": bool(payload.stopped_early)})
            self._keep("finish_run", "completed", payload.seconds, "", payload.model_file)
        elif kind == "stopped":
            self._keep("finish_run", self._kept_as)
        elif kind == "error":
            self._keep("finish_run", "error", None, str(payload))
        with self._cond:
            self._set_state(state)

    def _wait_for_turn(self, trainer: Trainer) -> str:
        """Block until the next step may run: not paused (or a step-once credit), and the pace of
        the chosen speed allows it. Returns "step", "stop" (the run must end) or "leave" (its page
        is gone: park it)."""
        with self._cond:
            while True:
                if self._stop or self.manager._is_abandoned(self):
                    return "stop"
                if self._leave_requested:
                    return "leave"
                if self._paused:
                    if self.state != State.PAUSED:
                        # The steps taken since the last post are posted before the state turns:
                        # a page that sees "paused" and drains shows the step the run stopped at
                        # (a pause that came while the thread kept the 1x pace left up to
                        # LOSS_EVENT_SECONDS of steps unposted for as long as it stayed paused).
                        self._flush_losses()
                        self._set_state(State.PAUSED)
                    if self._steps_allowed > 0:
                        self._steps_allowed -= 1
                        self._credit_step = True
                        return "step"
                    t0 = time.monotonic()
                    self._cond.wait(timeout=1.0)
                    self._paused_seconds += time.monotonic() - t0
                    continue
                if self.state != State.RUNNING:
                    self._set_state(State.RUNNING)
                delay = self._pace_delay(trainer.step_count, trainer.config.max_steps)
                if delay <= 0:
                    delay = self._slow_hold(trainer.step_count, trainer.config.max_steps)
                    if delay <= 0:
                        return "step"
                    self._held(delay)
                    continue
                self._cond.wait(timeout=delay)

    def _seconds_per_step_1x(self, max_steps: int) -> float:
        """The 1x pace: a run fitted to its seconds (TrainConfig.fit_seconds) lasts them; a
        fixed-steps run keeps the default run's pace (RUN_SECONDS_AT_1X for the default steps)."""
        fit = self.trainer.config.fit_seconds if self.trainer is not None else 0.0
        return fit / max_steps if fit > 0 else RUN_SECONDS_AT_1X / TrainConfig().max_steps

    def _slow_hold(self, step: int, max_steps: int) -> float:
        """Seconds still to hold still before `step` at a speed below 1x: a 1x step's time times
        (1 / speed - 1), so that a step's slot is 4x a 1x one at 0.25x. 0 at 1x and faster."""
        factor = SPEEDS[self.speed]
        if factor is None or factor >= 1:
            self._hold = None
            return 0.0
        now = time.monotonic()
        if self._hold is None or self._hold[0] != step:
            self._hold = (step, now + self._seconds_per_step_1x(max_steps) * (1 / factor - 1))
        return self._hold[1] - now

    def _held(self, seconds: float) -> None:
        """Hold still for a slow speed (lock held; a pause, Stop or a new speed ends it early). The
        time held counts as paused: the run's training clock, which fits its steps to its seconds
        (_fit) and which the progress line and the store show, runs as at 1x, so a run at 0.25x
        trains the same steps as at 1x, four times slower. The 1x pace's anchor moves on with it."""
        t0 = time.monotonic()
        self._cond.wait(timeout=seconds)
        held = time.monotonic() - t0
        self._paused_seconds += held
        if self._pace_anchor is not None:
            self._pace_anchor = (self._pace_anchor[0] + held, self._pace_anchor[1])

    def _pace_delay(self, step: int, max_steps: int) -> float:
        """Seconds to wait before `step` so that the run keeps the pace of the chosen speed. At 1x a
        run fitted to its seconds (TrainConfig.fit_seconds) lasts them; a fixed-steps run lasts
        RUN_SECONDS_AT_1X x (max_steps / default steps). Faster speeds divide it, where the machine allows.
        Slower ones keep the 1x pace here and hold still between steps (_slow_hold)."""
        factor = SPEEDS[self.speed]
        if factor is None:
            return 0.0
        now = time.monotonic()
        if self._pace_anchor is None:
            self._pace_anchor = (now, step)
            return 0.0
        seconds_per_step = self._seconds_per_step_1x(max_steps) / max(1.0, factor)
        t0, s0 = self._pace_anchor
        due = t0 + (step - s0) * seconds_per_step
        if now - due > 1.0:  # far behind (a slow machine): do not sprint to catch up later
            self._pace_anchor = (now, step)
            return 0.0
        return due - now


class SessionManager:
    """One per server process: all sessions of all browser sessions, and the limits they share."""

    def __init__(self, max_running: int | None = None, idle_timeout: float = 3600.0,
                 max_sessions_per_owner: int = MAX_SESSIONS_PER_OWNER,
                 presence: Callable[[str], bool | None] | None = None,
                 away_grace: float = AWAY_GRACE_SECONDS, away_end: float = AWAY_END_SECONDS,
                 presence_interval: float = PRESENCE_INTERVAL, store: RunStore | None = None):
        """`max_running` defaults to the available cores (one torch thread per trainer).
        `presence(owner)` says whether the owner's browser session is connected (True), gone
        (False) or unknown (None: then only the idle timeout ends its sessions)."""
        self.max_running = max_running or available_cores()
        self.idle_timeout = idle_timeout
        self.max_sessions_per_owner = max_sessions_per_owner
        self.presence = presence
        self.away_grace = away_grace
        self.away_end = away_end
        self.presence_interval = presence_interval
        self._lock = threading.Condition()
        self._cpu = CpuMeter()  # other processes' load, for threads_per_trainer
        self._sessions: dict[str, TrainingSession] = {}
        self._running: set[str] = set()
        self._waiting: collections.deque[str] = collections.deque()
        self._away_since: dict[str, float] = {}  # owner -> when its browser session was first seen gone
        self._watcher: threading.Thread | None = None
        self._watch_wake = threading.Event()
        self._closing = False
        self._store = store  # None: the process's default store (LLMBREAKER_DB_URL), opened on first use
        _LIVE_MANAGERS.add(self)

    @property
    def store(self) -> RunStore:
        """Where runs of pages that keep them are written (see TrainingSession.store_runs)."""
        if self._store is None:
            self._store = default_store()
        return self._store

    def session_by_token(self, token: str) -> TrainingSession | None:
        """The session whose current run (or the comparison it belongs to) has this store token,
        if it lives in this process."""
        if not token:
            return None
        with self._lock:
            return next((s for s in self._sessions.values() if token in (s.run_token, s.series_token)), None)

    def adopt(self, session: TrainingSession, owner: str) -> bool:
        """Hand `session` to the browser session `owner` (the same browser after a reload: a new
        Streamlit session), dropping that owner's own idle session of the page. False, and nothing
        changes, when the owner's session of the page is training (it would be lost)."""
        with self._lock:
            mine = [s for s in self._sessions.values() if s.owner == owner and s.page == session.page
                    and s is not session]
            if any(s.active for s in mine):
                return False
            session.owner = owner
        for s in mine:
            self.remove(s)
        session.touch()
        return True

    # -- sessions ----------------------------------------------------------------------------
    def session_for(self, owner: str, page: str, **kwargs) -> TrainingSession:
        """The session of this page for this browser session, created on first use."""
        self.reap_idle()
        with self._lock:
            mine = [s for s in self._sessions.values() if s.owner == owner]
            for s in mine:
                if s.page == page:
                    s.touch()
                    return s
            if len(mine) >= self.max_sessions_per_owner:
                raise UserInputError("too_many_sessions", f"At most {self.max_sessions_per_owner}; "
                                     "stop one or close this tab and open the app again.")
            s = TrainingSession(self, owner, page, **kwargs)
            self._sessions[s.id] = s
            self._ensure_watcher_locked()
            return s

    def session_by_id(self, session_id: str) -> TrainingSession | None:
        """A session by its id, whoever owns it: how a run parked for its absent person stays
        addressable (a later rejoin, from a reloaded tab, finds it by this id)."""
        with self._lock:
            return self._sessions.get(session_id)

    def sessions_of(self, owner: str) -> list[TrainingSession]:
        with self._lock:
            return [s for s in self._sessions.values() if s.owner == owner]

    def all_sessions(self) -> list[TrainingSession]:
        with self._lock:
            return list(self._sessions.values())

    def remove(self, session: TrainingSession) -> None:
        """End a session and free what its runs hold. The histories are dropped here and not
        left to the garbage collector: Streamlit keeps a disconnected browser session (and the
        page fragments that refer to this object) until its session storage next expires entries,
        which may be long after."""
        session.stop(kept_as="interrupted")
        session.events = queue.Queue()
        session.history = History()
        session.finished = []
        session.request = None
        with self._lock:
            self._sessions.pop(session.id, None)

    def reap_idle(self, now: float | None = None) -> list[TrainingSession]:
        """End and forget sessions whose page has not been seen for idle_timeout seconds."""
        now = time.monotonic() if now is None else now
        with self._lock:
            gone = [s for s in self._sessions.values() if now - s.last_seen > self.idle_timeout]
        for s in gone:
            self.remove(s)
        return gone

    def _is_abandoned(self, session: TrainingSession) -> bool:
        return time.monotonic() - session.last_seen > self.idle_timeout

    # -- presence: a run belongs to a present page ------------------------------------------
    def away_for(self, owner: str, now: float | None = None) -> float | None:
        """Seconds since the owner's browser session was first seen gone; None while it is there."""
        now = time.monotonic() if now is None else now
        with self._lock:
            since = self._away_since.get(owner)
        return None if since is None else now - since

    def check_presence(self, now: float | None = None) -> None:
        """Ask `presence` about every owner: runs of an owner gone for away_grace seconds are
        parked (slot and thread given back), sessions of one gone for away_end are ended. Called
        by the watcher thread every presence_interval seconds; callable directly (tests)."""
        if self.presence is None:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            owners = {s.owner for s in self._sessions.values()}
        seen = {}
        for owner in owners:  # outside the lock: the UI's function may take its own locks
            try:
                seen[owner] = self.presence(owner)
            except Exception:  # an unknown answer must never end a run
                seen[owner] = None
        with self._lock:
            for owner, present in seen.items():
                if present is False:
                    self._away_since.setdefault(owner, now)
                else:
                    self._away_since.pop(owner, None)  # back (a reconnection): nothing more happens
            for owner in set(self._away_since) - owners:
                del self._away_since[owner]
            away = {o: now - t for o, t in self._away_since.items()}
            leaving = [s for s in self._sessions.values() if away.get(s.owner, -1) >= self.away_grace]
        ended = False
        for s in leaving:
            if away[s.owner] >= self.away_end:
                self.remove(s)  # stops the run and drops its histories and model
                ended = True
            else:
                s._leave()
        with self._lock:
            for owner in {s.owner for s in leaving if away[s.owner] >= self.away_end}:
                self._away_since.pop(owner, None)
        if ended:
            _return_freed_memory()

    def _ensure_watcher_locked(self) -> None:
        if self.presence is None or self._closing or (self._watcher is not None and self._watcher.is_alive()):
            return
        self._watcher = threading.Thread(target=self._watch, name="presence-watcher", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        """The watcher thread: lives while the manager holds sessions, so a server nobody uses
        keeps no thread of ours."""
        _name_native_thread("presence-watch")
        while True:
            with self._lock:
                if self._closing or not self._sessions:
                    self._watcher = None
                    return
            self._watch_wake.wait(self.presence_interval)
            if self._closing:
                continue
            try:
                self.check_presence()
            except Exception:  # the watcher must outlive any one bad session
                pass

    def shutdown(self) -> None:
        with self._lock:
            self._closing = True
            watcher = self._watcher
        self._watch_wake.set()
        if watcher is not None and watcher is not threading.current_thread():
            watcher.join(10.0)
        for s in self.all_sessions():
            s.stop(wait=False, kept_as="interrupted")
        for s in self.all_sessions():
            s._join_thread()
        with self._lock:
            self._sessions.clear()

    # -- the cap on running trainers ----------------------------------------------------------
    def running_count(self) -> int:
        with self._lock:
            return len(self._running)

    def waiting_count(self) -> int:
        with self._lock:
            return len(self._waiting)

    def queue_position(self, session: TrainingSession) -> int | None:
        """1 for the next session to start, None when not waiting."""
        with self._lock:
            try:
                return self._waiting.index(session.id) + 1
            except ValueError:
                return None

    def _acquire_slot(self, session: TrainingSession) -> str:
        """Wait, first come first served, until fewer than max_running trainers run. Returns
        "slot" (it holds one now), "stop" (stopped or abandoned while waiting) or "leave" (its
        page went away: it leaves the line)."""
        with self._lock:
            self._waiting.append(session.id)
            try:
                while True:
                    if session._stop or self._is_abandoned(session):
                        return "stop"
                    if session._leave_requested:
                        return "leave"
                    if self._waiting[0] == session.id and len(self._running) < self.max_running:
                        self._running.add(session.id)
                        return "slot"
                    self._lock.wait(timeout=0.5)
            finally:
                self._waiting.remove(session.id)
                self._lock.notify_all()

    def _wake_waiters(self) -> None:
        with self._lock:
            self._lock.notify_all()

    def _release_slot(self, session: TrainingSession) -> None:
        with self._lock:
            self._running.discard(session.id)
            self._lock.notify_all()

    def threads_per_trainer(self, running: bool = False) -> int:
        """Torch threads for a trainer (`running`: one of the running ones; else one about to
        start): two while the cores this process may use leave an idle core besides the running
        trainers (one core each) and what other processes keep busy, else one (cpu_share.torch_threads:
        two threads stepped ~1.4x faster on an idle machine and up to 10x slower with the browser
        drawing on the other core). Until the load has been measured (the first call), one."""
        with self._lock:
            in_use = len(self._running) + (0 if running else 1)
            other = self._cpu.other_busy()
        return 1 if other is None else torch_threads(available_cores(), in_use, other)

    def _apply_thread_share(self, train: TrainConfig) -> None:
        # torch.set_num_threads, called from the trainer's own thread, sets that thread's OpenMP
        # team size (and the process default, which nothing else here relies on). Called when a
        # trainer starts and at each of its checkpoints, so it follows the machine's load; a run
        # without a clock keeps REPRODUCIBLE_THREADS instead (a weight's gradient summed by two
        # threads differs in its last bit from one thread's: CI's Style run kept step 550 once and
        # step 300 the next, on the same text).
        want = REPRODUCIBLE_THREADS if train.reproducible else self.threads_per_trainer(running=True)
        if torch.get_num_threads() != want:
            torch.set_num_threads(want)


_LIVE_MANAGERS: "weakref.WeakSet[SessionManager]" = weakref.WeakSet()


@atexit.register
def _shutdown_all() -> None:
    """Server shutdown: stop every session so no training thread outlives the process's end."""
    for manager in list(_LIVE_MANAGERS):
        manager.shutdown()
