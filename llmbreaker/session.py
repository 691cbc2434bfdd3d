"""Training sessions in background threads, and the process-wide manager that holds them.

A `TrainingSession` belongs to one page of one browser session. Its thread runs a `Trainer`,
obeys commands (play, pause, resume, step once, speed, stop) between steps, and writes events into
the session's queue. The page drains that queue into `history` and draws from the history, so a
reload or a page switch redraws the same picture.

The `SessionManager` is one per server process (pages hold it with `st.cache_resource`). It caps
how many trainers run at once (the rest wait in order, shown as waiting), shares the CPU cores
between the running trainers (one torch thread each), and ends sessions whose page has been gone for an hour.
"""
from __future__ import annotations

import atexit
import collections
import itertools
import queue
import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable

import torch

from .corpus import word_set
from .errors import MESSAGES, UserInputError
from .model import ModelConfig
from .model_io import save_model
from .trainer import Checkpoint, TrainConfig, Trainer


class State(str, Enum):
    IDLE = "idle"
    WAITING = "waiting"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    COMPLETED = "completed"
    ERROR = "error"


ACTIVE_STATES = (State.WAITING, State.RUNNING, State.PAUSED)
ENDED_STATES = (State.IDLE, State.STOPPED, State.COMPLETED, State.ERROR)

# Label -> multiplier of the 1x pace; None is unpaced ("as fast as the machine allows").
SPEEDS: dict[str, float | None] = {"1x": 1.0, "2x": 2.0, "5x": 5.0, "10x": 10.0, "max": None}
RUN_SECONDS_AT_1X = 25.0  # the default run lasts about this long at 1x
LOSS_EVENT_SECONDS = 0.1  # per-step losses are sent in chunks at most this often
# Each page keeps one session per browser tab, so a tab never needs more than one per training
# page; the cap guards the shared process against anything that would create sessions in a loop.
MAX_SESSIONS_PER_OWNER = 8
MAX_FINISHED_RUNS = 16  # finished runs a queue keeps (the Lab shows at most 8 of them)


@dataclass(frozen=True)
class TrainingRequest:
    """Everything needed to start a run: the text and both configurations."""
    text: str
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    label: str = ""  # what is being trained on, for people ("Shakespeare", "your file notes.txt")


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
    best_step: int | None = None  # the checkpoint with the lowest validation loss
    stopped_early: bool = False  # training ended before max_steps: validation loss stopped improving
    request: "TrainingRequest | None" = None  # what this run trains, with which settings
    ended: str = ""  # how it ended: "completed", "stopped" or "error" ("" while it goes on)


class TrainingSession:
    """One page's training run in a background thread. Thread-safe commands; one thread at most."""

    _ids = itertools.count(1)

    def __init__(self, manager: "SessionManager", owner: str, page: str,
                 trainer_factory: Callable[[TrainingRequest], Trainer] = None):
        self.id = uuid.uuid4().hex
        self.owner = owner
        self.page = page
        self.manager = manager
        self._make_trainer = trainer_factory or (lambda r: Trainer(r.text, r.model, r.train))
        self.request: TrainingRequest | None = None
        self.state = State.IDLE
        self.speed = "1x"
        self.history = History()
        self.events: queue.Queue = queue.Queue()
        self.last_seen = time.monotonic()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._paused = False
        self._stop = False
        self._steps_allowed = 0  # step-once credits while paused
        self._pace_anchor: tuple[float, int] | None = None  # (time, step) pacing is measured from
        self._paused_seconds = 0.0
        self.trainer: Trainer | None = None
        self.run_id = 0
        # Runs queued after the current one (the Lab's comparisons): the same thread trains them
        # one after another, so a queue goes on while its person looks at another page.
        self._pending: list[TrainingRequest] = []
        self.finished: list[History] = []  # earlier runs of a queue, oldest first (filled by drain)

    # -- commands (called from the page's script thread) -----------------------------------
    def play(self, request: TrainingRequest | None = None) -> None:
        """Start a fresh run (from scratch) with this request, or the last one. Resumes if paused."""
        with self._cond:
            if self.state == State.PAUSED and request is None:
                self._resume_locked()
                return
            if self.state in ACTIVE_STATES:
                return  # already going: pressing Play twice does not start a second thread
        self._join_thread()
        request = request or self.request
        if request is None:
            raise UserInputError("session_not_found", "Choose a text first.")
        with self._cond:
            if self._thread is not None:
                return
            self.request = request
            self.run_id = next(self._ids)
            self.events = queue.Queue()
            self.history = History(run_id=self.run_id, total_steps=request.train.max_steps, request=request)
            self._paused = False
            self._stop = False
            self._steps_allowed = 0
            self._set_state(State.WAITING)
            self._thread = threading.Thread(target=self._run, args=(request,),
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
            self.events.put(("next_run", (self.run_id, request)))
            self._set_state(State.WAITING)
            return request

    def pause(self) -> None:
        with self._cond:
            if self.state in (State.RUNNING, State.WAITING):
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

    def step_once(self) -> None:
        """While paused: exactly one optimizer step, then paused again."""
        with self._cond:
            if self.state == State.PAUSED:
                self._steps_allowed += 1
                self._cond.notify_all()

    def set_speed(self, label: str) -> None:
        if label not in SPEEDS:
            raise UserInputError("invalid_setting", f"Speed must be one of {', '.join(SPEEDS)}.")
        with self._cond:
            self.speed = label
            self._pace_anchor = None
            self._cond.notify_all()

    def stop(self, wait: bool = True) -> None:
        with self._cond:
            self._stop = True
            self._pending.clear()  # Stop ends the whole queue, not only the run on screen
            self._cond.notify_all()
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
                h.step = payload.step
            elif kind == "started":
                h.probe_tokens, h.next_prompt, h.vocab, h.words, h.parameters = payload
            elif kind == "completed":
                h.seconds, h.model_file, h.best_step, h.stopped_early = payload
                h.ended = "completed"
            elif kind == "stopped":
                h.ended = "stopped"
            elif kind == "error":
                h.message = payload
                h.ended = "error"
            elif kind == "next_run":  # the queue's next run starts: keep this one's history
                run_id, request = payload
                self._keep_finished(h)
                h = self.history = History(run_id=run_id, total_steps=request.train.max_steps, request=request)
        return n

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
        """Drop one finished run of the queue. Script thread only."""
        self.finished = [h for h in self.finished if h.run_id != run_id]

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

    def _run(self, request: TrainingRequest) -> None:
        """Train the request, then each queued one. Stop ends the queue; a run that fails does
        not (the next variant of a comparison may well train)."""
        while request is not None:
            if self._run_one(request) == State.STOPPED:
                with self._cond:
                    self._pending.clear()
                return
            request = self._next_pending()

    def _run_one(self, request: TrainingRequest) -> State:
        slot = False
        try:
            slot = self.manager._acquire_slot(self)
            if not slot:  # stopped while waiting
                self._finish(State.STOPPED, "stopped", None)
                return self.state
            self.manager._apply_thread_share()
            started = time.monotonic()
            self._paused_seconds = 0.0
            trainer = self._make_trainer(request)
            self.trainer = trainer
            self.events.put(("started", (trainer.probe_tokens, trainer.next_prompt, trainer.tokenizer.chars,
                                         word_set(request.text), sum(p.numel() for p in trainer.model.parameters()))))
            with self._cond:
                self._set_state(State.PAUSED if self._paused else State.RUNNING)
            self.events.put(("checkpoint", trainer.checkpoint()))
            pending_steps, pending_losses, last_flush = [], [], time.monotonic()
            while not trainer.done:
                if not self._wait_for_turn(trainer):
                    self._flush(pending_steps, pending_losses)
                    self._finish(State.STOPPED, "stopped", None)
                    return self.state
                loss = trainer.step()
                pending_steps.append(trainer.step_count)
                pending_losses.append(loss)
                now = time.monotonic()
                if trainer.is_checkpoint_step() or now - last_flush >= LOSS_EVENT_SECONDS or self._paused:
                    pending_steps, pending_losses = self._flush(pending_steps, pending_losses)
                    last_flush = now
                if trainer.is_checkpoint_step():
                    self.events.put(("checkpoint", trainer.checkpoint()))
            trainer.restore_best()
            self._finish(State.COMPLETED, "completed", (time.monotonic() - started - self._paused_seconds,
                                                        save_model(trainer), trainer.best_step, trainer.stopped_early))
        except UserInputError as e:
            self._finish(State.ERROR, "error", e.message)
        except MemoryError:
            self._finish(State.ERROR, "error", MESSAGES["out_of_memory"])
        except Exception as e:  # a crash must end in the error state, never a dead thread in "running"
            detail = f"({type(e).__name__}: {e})" if str(e) else f"({type(e).__name__})"
            self._finish(State.ERROR, "error", f"{MESSAGES['training_failed']} {detail}")
        finally:
            self.trainer = None  # frees the model and optimizer
            if slot:
                self.manager._release_slot(self)
        return self.state

    def _flush(self, steps: list, losses: list):
        if steps:
            self.events.put(("losses", (steps, losses)))
        return [], []

    def _finish(self, state: State, kind: str, payload) -> None:
        self.events.put((kind, payload))
        with self._cond:
            self._set_state(state)

    def _wait_for_turn(self, trainer: Trainer) -> bool:
        """Block until the next step may run: not paused (or a step-once credit), and the pace of
        the chosen speed allows it. Returns False when the run must stop."""
        with self._cond:
            while True:
                if self._stop or self.manager._is_abandoned(self):
                    return False
                if self._paused:
                    if self.state != State.PAUSED:
                        self._set_state(State.PAUSED)
                    if self._steps_allowed > 0:
                        self._steps_allowed -= 1
                        return True
                    t0 = time.monotonic()
                    self._cond.wait(timeout=1.0)
                    self._paused_seconds += time.monotonic() - t0
                    continue
                if self.state != State.RUNNING:
                    self._set_state(State.RUNNING)
                delay = self._pace_delay(trainer.step_count, trainer.config.max_steps)
                if delay <= 0:
                    return True
                self._cond.wait(timeout=delay)

    def _pace_delay(self, step: int, max_steps: int) -> float:
        """Seconds to wait before `step` so that the run keeps the pace of the chosen speed.
        At 1x a run lasts RUN_SECONDS_AT_1X x (max_steps / default steps); faster speeds divide it."""
        factor = SPEEDS[self.speed]
        if factor is None:
            return 0.0
        now = time.monotonic()
        if self._pace_anchor is None:
            self._pace_anchor = (now, step)
            return 0.0
        seconds_per_step = RUN_SECONDS_AT_1X / TrainConfig().max_steps / factor
        t0, s0 = self._pace_anchor
        due = t0 + (step - s0) * seconds_per_step
        if now - due > 1.0:  # far behind (a slow machine): do not sprint to catch up later
            self._pace_anchor = (now, step)
            return 0.0
        return due - now


class SessionManager:
    """One per server process: all sessions of all browser sessions, and the limits they share."""

    def __init__(self, max_running: int = 2, idle_timeout: float = 3600.0,
                 max_sessions_per_owner: int = MAX_SESSIONS_PER_OWNER):
        self.max_running = max_running
        self.idle_timeout = idle_timeout
        self.max_sessions_per_owner = max_sessions_per_owner
        self._lock = threading.Condition()
        self._sessions: dict[str, TrainingSession] = {}
        self._running: set[str] = set()
        self._waiting: collections.deque[str] = collections.deque()
        _LIVE_MANAGERS.add(self)

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
            return s

    def sessions_of(self, owner: str) -> list[TrainingSession]:
        with self._lock:
            return [s for s in self._sessions.values() if s.owner == owner]

    def all_sessions(self) -> list[TrainingSession]:
        with self._lock:
            return list(self._sessions.values())

    def remove(self, session: TrainingSession) -> None:
        session.stop()
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

    def shutdown(self) -> None:
        for s in self.all_sessions():
            s.stop(wait=False)
        for s in self.all_sessions():
            s._join_thread()
        with self._lock:
            self._sessions.clear()

    # -- the cap on running trainers ----------------------------------------------------------
    def running_count(self) -> int:
        with self._lock:
            return len(self._running)

    def queue_position(self, session: TrainingSession) -> int | None:
        """1 for the next session to start, None when not waiting."""
        with self._lock:
            try:
                return self._waiting.index(session.id) + 1
            except ValueError:
                return None

    def _acquire_slot(self, session: TrainingSession) -> bool:
        """Wait, first come first served, until fewer than max_running trainers run. False if the
        session was stopped (or abandoned) while waiting."""
        with self._lock:
            self._waiting.append(session.id)
            try:
                while True:
                    if session._stop or self._is_abandoned(session):
                        return False
                    if self._waiting[0] == session.id and len(self._running) < self.max_running:
                        self._running.add(session.id)
                        return True
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

    def threads_per_trainer(self) -> int:
        """One torch thread per trainer, however many run. Measured here: a lone trainer with
        2 OpenMP threads steps 1.4x faster on an idle machine, but as soon as anything else wants a
        core (the browser drawing the attention grid, another person's page) its threads wait on
        each other at every parallel region and it ran 10x slower. The cap on running trainers is
        what shares the cores out."""
        return 1

    def _apply_thread_share(self) -> None:
        # torch.set_num_threads, called from the trainer's own thread, sets that thread's OpenMP
        # team size (and the process default, which nothing else here relies on).
        want = self.threads_per_trainer()
        if torch.get_num_threads() != want:
            torch.set_num_threads(want)


_LIVE_MANAGERS: "weakref.WeakSet[SessionManager]" = weakref.WeakSet()


@atexit.register
def _shutdown_all() -> None:
    """Server shutdown: stop every session so no training thread outlives the process's end."""
    for manager in list(_LIVE_MANAGERS):
        manager.shutdown()
