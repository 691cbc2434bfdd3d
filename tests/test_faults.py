"""Faults a person can cause on a shared server: a loss that turns NaN in the real trainer, buttons
pressed many times at once, commands on a run that has just ended, too many sessions."""
import math
import random
import threading
import time

import pytest
import torch

from llmbreaker.engine.corpus import bundled_text
from llmbreaker.engine.errors import UserInputError
from llmbreaker.engine.session import ACTIVE_STATES, SessionManager, State, TrainingRequest, TrainingSession
from llmbreaker.engine.trainer import Trainer

from conftest import TINY_MODEL, tiny_train, trainer_threads
from test_session import wait_for


class PoisonedTrainer(Trainer):
    """A real trainer whose weights turn NaN after a few steps, as a too-high learning rate can do.
    Nothing is faked after that: the real forward pass produces the NaN loss."""

    def step(self):
        if self.step_count == 5:
            with torch.no_grad():
                self.model.tok_emb.weight.fill_(math.nan)
        return super().step()


def test_a_loss_that_becomes_nan_ends_in_error_frees_the_model_and_play_starts_afresh(manager, tiny_request):
    make = {"trainer": PoisonedTrainer}
    s = TrainingSession(manager, "tab-1", "watch", trainer_factory=lambda r: make["trainer"](r.text, r.model, r.train))
    s.set_speed("max")
    s.play(tiny_request())
    wait_for(lambda: s.state == State.ERROR and not s.thread_alive, what="error state")
    s.drain()
    assert s.history.message.startswith("Training crashed. Please try again.")
    assert "nan" in s.history.message
    assert s.trainer is None  # model and optimizer released
    assert manager.running_count() == 0  # its trainer slot is free for others
    make["trainer"] = Trainer
    s.play()
    wait_for(lambda: s.state == State.COMPLETED, what="a fresh run")
    s.drain()
    assert s.history.message == "" and s.history.checkpoints[0].step == 0


def _session_threads(session) -> list[threading.Thread]:
    return [t for t in trainer_threads() if t.name.endswith(session.id[:6])]


def test_buttons_pressed_many_times_at_once_never_make_two_threads_or_a_stuck_state(manager, tiny_request):
    s = manager.session_for("tab-1", "watch")
    s.set_speed("max")
    request = tiny_request(max_steps=400, eval_interval=100)
    most_threads = 0
    stop_watch = threading.Event()

    def watch():
        nonlocal most_threads
        while not stop_watch.is_set():
            most_threads = max(most_threads, len(_session_threads(s)))
            time.sleep(0.0005)

    def press(seed):
        rng = random.Random(seed)
        for _ in range(60):
            action = rng.choice(["play", "play", "stop", "pause", "resume", "step", "speed"])
            if action == "play":
                s.play(request)
            elif action == "stop":
                s.stop(wait=rng.random() < 0.5)
            elif action == "pause":
                s.pause()
            elif action == "resume":
                s.resume()
            elif action == "step":
                s.step_once()
            else:
                s.set_speed(rng.choice(["1x", "max"]))

    watcher = threading.Thread(target=watch)
    watcher.start()
    pressers = [threading.Thread(target=press, args=(i,)) for i in range(6)]
    for t in pressers:
        t.start()
    for t in pressers:
        t.join()
    stop_watch.set()
    watcher.join()
    assert most_threads <= 1, f"{most_threads} training threads at once for one session"

    # Whatever state the presses left, the session still obeys: stop ends it, play runs to the end.
    s.stop()
    assert s.state not in ACTIVE_STATES and not s.thread_alive
    s.set_speed("max")
    s.play(tiny_request())
    wait_for(lambda: s.state == State.COMPLETED, what="completion after the storm")
    assert manager.running_count() == 0


def test_commands_on_a_run_that_has_just_ended_are_harmless(manager, tiny_request):
    s = manager.session_for("tab-1", "watch")
    s.set_speed("max")
    s.play(tiny_request())
    wait_for(lambda: s.state == State.COMPLETED and not s.thread_alive, what="completion")
    for command in (s.pause, s.resume, s.step_once, s.stop, s.pause):
        command()
        assert s.state == State.COMPLETED
    assert trainer_threads() == []
    s.play()  # Replay: a new run from scratch
    wait_for(lambda: s.state == State.COMPLETED and not s.thread_alive, what="replay")
    s.drain()
    assert s.history.step == 40


def test_stop_while_waiting_for_a_slot_ends_the_waiting_run():
    m = SessionManager(max_running=1)
    try:
        request = TrainingRequest(bundled_text("poems"), TINY_MODEL, tiny_train(max_steps=3000, eval_interval=500))
        first, second = m.session_for("tab-1", "watch"), m.session_for("tab-2", "watch")
        first.play(request)
        wait_for(lambda: first.state == State.RUNNING, what="first running")
        second.play(request)
        wait_for(lambda: second.state == State.WAITING and m.queue_position(second) == 1, what="second waiting")
        second.stop()
        assert second.state == State.STOPPED and not second.thread_alive
        assert m.queue_position(second) is None
        assert first.state == State.RUNNING  # the other person's run is untouched
    finally:
        m.shutdown()
    assert trainer_threads() == []


def test_a_browser_tab_has_a_capped_number_of_sessions():
    m = SessionManager(max_sessions_per_owner=3)
    for page in ("watch", "cinema", "style"):
        m.session_for("tab-1", page)
    assert m.session_for("tab-1", "watch") is m.session_for("tab-1", "watch")  # reuse is not a new one
    with pytest.raises(UserInputError) as e:
        m.session_for("tab-1", "lab")
    assert e.value.code == "too_many_sessions"
    m.session_for("tab-2", "lab")  # another person is not affected
    m.shutdown()
