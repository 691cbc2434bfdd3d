"""Sessions and the manager: every state transition, commands, the cap, clean-up, failures."""
import time

import pytest

from llmbreaker.engine.session import RUN_SECONDS_AT_1X, Completed, SessionManager, Started, State, TrainingSession
from llmbreaker.engine.trainer import TrainConfig, Trainer

from conftest import trainer_threads


def wait_for(predicate, timeout=20.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_run_goes_idle_waiting_running_completed_with_every_checkpoint(manager, tiny_request):
    s = manager.session_for("tab-1", "watch")
    assert s.state == State.IDLE
    s.set_speed("max")
    seen = set()
    s.play(tiny_request())
    while s.active:
        seen.add(s.state)
        time.sleep(0.002)
    assert s.state == State.COMPLETED
    assert State.RUNNING in seen
    s.drain()
    h = s.history
    assert [c.step for c in h.checkpoints] == [0, 10, 20, 30, 40]
    assert h.steps == list(range(1, 41)) and len(h.losses) == 40
    assert h.step == 40 and h.total_steps == 40
    assert h.checkpoints[0].val_loss > h.checkpoints[-1].val_loss
    wait_for(lambda: not s.thread_alive, what="thread end")


def test_pause_then_step_once_runs_exactly_one_step_then_resume_completes(manager, tiny_request):
    s = manager.session_for("tab-1", "watch")
    s.play(tiny_request(max_steps=300, eval_interval=100))
    s.pause()
    wait_for(lambda: s.state == State.PAUSED, what="paused")
    s.drain()
    before = s.trainer.step_count
    time.sleep(0.2)
    assert s.trainer.step_count == before, "training went on while paused"
    s.step_once()
    wait_for(lambda: s.trainer.step_count == before + 1, what="one step")
    time.sleep(0.3)
    assert s.trainer.step_count == before + 1, "step once ran more than one step"
    assert s.state == State.PAUSED
    s.drain()
    assert s.history.step == before + 1  # the step is shown
    s.set_speed("max")
    s.resume()
    wait_for(lambda: s.state == State.COMPLETED, what="completion")


def test_the_first_steps_loss_comes_at_once_and_step_0_still_measures_the_untrained_model(manager, tiny_request):
    """The first loss point is on the page before the step-0 checkpoint's work (a few tenths of a
    second) is done; that checkpoint is still the model before any training, as a fresh trainer's."""
    s = manager.session_for("tab-1", "watch")
    s.set_speed("max")
    request = tiny_request()
    s.play(request)
    kinds = []
    while s.active or not s.events.empty():
        try:
            kind, value = s.events.get(timeout=0.05)
        except Exception:
            continue
        kinds.append((kind, value))
    named = [k for k, _ in kinds]
    assert named.index("losses") < named.index("checkpoint")
    first_losses = next(v for k, v in kinds if k == "losses")
    assert first_losses[0] == [1]  # step 1 alone, sent at once
    step0 = next(v for k, v in kinds if k == "checkpoint")
    fresh = Trainer(request.text, request.model, request.train).checkpoint()
    assert step0.step == 0 and step0.elapsed == 0.0
    assert step0.val_loss == pytest.approx(fresh.val_loss) and step0.train_loss == pytest.approx(fresh.train_loss)
    assert step0.sample == fresh.sample
    assert [v.step for k, v in kinds if k == "checkpoint"] == [0, 10, 20, 30, 40]


def test_started_and_completed_are_typed_events_that_the_history_takes_whole(manager, tiny_request):
    s = manager.session_for("tab-1", "watch")
    s.set_speed("max")
    request = tiny_request()
    s.play(request)
    wait_for(lambda: not s.active, what="the run's end")
    events = []
    while not s.events.empty():
        events.append(s.events.get_nowait())
    started = next(v for k, v in events if k == "started")
    completed = next(v for k, v in events if k == "completed")
    assert isinstance(started, Started) and isinstance(completed, Completed)
    fresh = Trainer(request.text, request.model, request.train)
    assert started.vocab == list(fresh.tokenizer.chars) and started.probe_tokens == fresh.probe_tokens
    assert started.next_prompt == fresh.next_prompt and "moon" in started.words
    assert started.parameters == sum(p.numel() for p in fresh.model.parameters())
    assert completed.model_file[:2] == b"PK" and completed.seconds > 0 and not completed.stopped_early
    for event in events:
        s.events.put(event)
    s.drain()
    h = s.history
    assert (h.vocab, h.probe_tokens, h.next_prompt, h.words, h.parameters) == (
        started.vocab, started.probe_tokens, started.next_prompt, started.words, started.parameters)
    assert (h.seconds, h.model_file, h.best_step, h.stopped_early, h.ended) == (
        completed.seconds, completed.model_file, completed.best_step, False, "completed")


def test_an_ended_current_run_is_forgotten_by_the_session_not_replaced_by_the_page(manager, tiny_request):
    s = manager.session_for("owner", "lab")
    s.set_speed("max")
    s.enqueue(tiny_request(max_steps=20))
    s.enqueue(tiny_request(seed=2, max_steps=20))
    wait_for(lambda: s.drain() is not None and len(s.finished) == 1 and s.state == State.COMPLETED,
             what="both runs")
    first, current = s.finished[0].run_id, s.history.run_id
    s.forget_finished(current)
    assert s.history.run_id == 0 and s.history.checkpoints == [] and [h.run_id for h in s.finished] == [first]
    s.forget_finished(first)
    assert s.finished == []


def test_the_shown_step_never_goes_back_when_the_step_0_checkpoint_arrives(manager, tiny_request):
    """Step 1's loss is sent before the step-0 checkpoint: the progress must say step 1, not 0
    (CI saw "Step 0" after a page switch while the run was at step 1)."""
    s = manager.session_for("tab-1", "watch")
    s.set_speed("max")
    s.play(tiny_request())
    shown = []
    while s.active or not s.events.empty():
        if s.drain(max_events=1):
            shown.append(s.history.step)
    assert shown == sorted(shown) and shown[-1] > 0


def test_a_paused_run_shows_the_step_it_stopped_at(manager, tiny_request):
    # Losses are posted in chunks (LOSS_EVENT_SECONDS); a pause that comes while the thread keeps
    # the 1x pace must post the chunk in hand before the state turns, or the page (and the store)
    # show an older step for as long as the run stays paused.
    s = manager.session_for("tab-1", "watch")
    s.play(tiny_request(max_steps=3000, eval_interval=1000))
    wait_for(lambda: (s.drain() or True) and s.history.step > 0, what="training")
    for _ in range(3):
        posted = s.history.step
        wait_for(lambda: (s.drain() or True) and s.history.step > posted, what="a chunk of losses posted")
        time.sleep(0.03)  # a few paced steps (about 11 ms each at 1x), fewer than the next chunk's
        s.pause()
        wait_for(lambda: s.state == State.PAUSED, what="paused")
        s.drain()
        assert s.history.step == s.trainer.step_count, "a paused run shows an older step than it stopped at"
        s.resume()
    s.stop()


def test_paused_before_its_first_step_a_run_still_shows_step_0(manager, tiny_request):
    s = manager.session_for("tab-1", "watch")
    s.play(tiny_request())
    s.pause()
    wait_for(lambda: s.state == State.PAUSED, what="paused")
    wait_for(lambda: (s.drain() or True) and s.history.checkpoints, what="the step-0 checkpoint")
    assert s.history.checkpoints[0].step == 0
    s.stop()


def test_step_once_does_nothing_before_a_run(manager, tiny_request):
    s = manager.session_for("tab-1", "watch")
    s.step_once()
    assert s.state == State.IDLE and not s.thread_alive


def test_step_once_while_training_pauses_and_runs_exactly_one_more_step(manager, tiny_request):
    # A presenter's "next" (the Right key) on a running curve: from there on, one step at a time.
    s = manager.session_for("tab-1", "watch")
    s.play(tiny_request(max_steps=3000, eval_interval=500))
    wait_for(lambda: s.state == State.RUNNING and s.trainer.step_count > 0, what="running")
    s.step_once(wait=5.0)  # returns once that one step is taken
    assert s.state == State.PAUSED
    stopped_at = s.trainer.step_count
    time.sleep(0.3)
    assert s.trainer.step_count == stopped_at, "training went on after Step"
    s.drain()
    assert s.history.step == stopped_at  # the step it stopped at is shown
    s.step_once()
    wait_for(lambda: s.trainer.step_count == stopped_at + 1, what="one more step")
    time.sleep(0.2)
    assert s.trainer.step_count == stopped_at + 1 and s.state == State.PAUSED
    s.stop()


def test_step_once_can_wait_until_its_step_is_posted_so_the_page_draws_it(manager, tiny_request):
    # A paused page does not poll: Step's own rerun must find the step in the events.
    s = manager.session_for("tab-1", "watch")
    s.play(tiny_request(max_steps=3000, eval_interval=500))
    s.pause()
    wait_for(lambda: s.state == State.PAUSED, what="paused")
    for _ in range(5):
        s.drain()
        shown = s.history.step
        s.step_once(wait=5.0)
        s.drain()
        assert s.history.step == shown + 1
    s.stop()


def test_stop_ends_the_thread_and_play_starts_afresh(manager, tiny_request):
    s = manager.session_for("tab-1", "watch")
    s.play(tiny_request(max_steps=3000, eval_interval=500))
    wait_for(lambda: s.state == State.RUNNING, what="running")
    s.stop()
    assert s.state == State.STOPPED and not s.thread_alive
    first_run = s.run_id
    s.set_speed("max")
    s.play(tiny_request())
    assert s.run_id != first_run
    wait_for(lambda: s.state == State.COMPLETED, what="second run")
    s.drain()
    assert s.history.checkpoints[0].step == 0 and s.history.steps[0] == 1  # from scratch


def test_pressing_play_many_times_starts_one_thread(manager, tiny_request):
    s = manager.session_for("tab-1", "watch")
    for _ in range(10):
        s.play(tiny_request(max_steps=3000, eval_interval=500))
    assert len(trainer_threads()) == 1
    s.stop()
    assert trainer_threads() == []


def test_speed_paces_the_run(manager, tiny_request):
    s = manager.session_for("tab-1", "watch")
    s.set_speed("10x")
    steps = 120
    t0 = time.monotonic()
    s.play(tiny_request(max_steps=steps, eval_interval=60))
    wait_for(lambda: s.state == State.COMPLETED, what="completion")
    per_step_10x = RUN_SECONDS_AT_1X / TrainConfig().max_steps / 10
    assert time.monotonic() - t0 >= (steps - 1) * per_step_10x  # never faster than the pace


def test_a_slow_speed_holds_between_steps_and_does_not_count_the_holds_as_training(manager, tiny_request):
    s = manager.session_for("tab-1", "watch")
    s.set_speed("0.25x")
    steps = 40
    per_step_1x = RUN_SECONDS_AT_1X / TrainConfig().max_steps
    t0 = time.monotonic()
    s.play(tiny_request(max_steps=steps, eval_interval=20))
    wait_for(lambda: s.state == State.COMPLETED, what="completion")
    wall = time.monotonic() - t0
    s.drain()
    assert wall >= (steps - 1) * per_step_1x * 4  # four times the 1x pace
    assert s.history.step == steps
    # The recorded time is the run's training clock: the 1x pace's time, not the holds.
    assert s.history.seconds < wall * 0.6, (s.history.seconds, wall)


def test_speed_change_takes_effect_within_a_step(manager, tiny_request):
    s = manager.session_for("tab-1", "watch")
    s.play(tiny_request(max_steps=10_000, eval_interval=5000))
    wait_for(lambda: s.state == State.RUNNING, what="running")
    s._pace_anchor = (time.monotonic() + 3600, s.trainer.step_count)  # an hour until the next step at this pace
    time.sleep(0.2)
    stuck = s.trainer.step_count
    s.set_speed("max")
    wait_for(lambda: s.trainer.step_count > stuck + 5, timeout=5, what="steps after speed change")
    with pytest.raises(Exception):
        s.set_speed("100x")
    s.stop()


def test_cap_makes_later_sessions_wait_in_order(tiny_request):
    m = SessionManager(max_running=1)
    try:
        a, b, c = (m.session_for(f"tab-{i}", "watch") for i in range(3))
        a.play(tiny_request(max_steps=3000, eval_interval=500))
        wait_for(lambda: a.state == State.RUNNING, what="a running")
        b.play(tiny_request(max_steps=3000, eval_interval=500))
        c.play(tiny_request(max_steps=3000, eval_interval=500))
        wait_for(lambda: c.queue_position() is not None, what="c in line")
        assert (b.state, c.state) == (State.WAITING, State.WAITING)
        assert (b.queue_position(), c.queue_position()) == (1, 2) == (m.queue_position(b), m.queue_position(c))
        assert a.queue_position() is None and m.running_count() == 1
        a.stop()
        wait_for(lambda: b.state == State.RUNNING, what="b starts when a frees the slot")
        assert c.state == State.WAITING and c.queue_position() == 1 and b.queue_position() is None
        c.stop()  # stopping while waiting
        assert c.state == State.STOPPED and not c.thread_alive
        b.stop()
    finally:
        m.shutdown()
    assert trainer_threads() == []


def test_sessions_are_per_browser_tab_and_page(manager):
    a = manager.session_for("tab-1", "watch")
    assert manager.session_for("tab-1", "watch") is a
    assert manager.session_for("tab-2", "watch") is not a
    assert manager.session_for("tab-1", "cinema") is not a
    assert {s.page for s in manager.sessions_of("tab-1")} == {"watch", "cinema"}


def test_sessions_whose_page_is_gone_are_ended_and_freed(tiny_request):
    m = SessionManager(idle_timeout=0.5)
    try:
        s = m.session_for("tab-1", "watch")
        s.play(tiny_request(max_steps=3000, eval_interval=500))
        s.pause()
        wait_for(lambda: s.state == State.PAUSED, what="paused")
        # nobody touches the session: its thread notices and ends itself
        wait_for(lambda: not s.thread_alive, timeout=5, what="abandoned thread to end")
        assert s.state == State.STOPPED
        assert s in m.reap_idle()
        assert m.all_sessions() == []
    finally:
        m.shutdown()


class FailingTrainer(Trainer):
    def step(self):
        if self.step_count >= 3:
            raise RuntimeError("boom")
        return super().step()


class NaNTrainer(Trainer):
    def step(self):
        super().step()
        raise FloatingPointError("the loss became nan at step 1")


@pytest.mark.parametrize("broken", [FailingTrainer, NaNTrainer])
def test_a_failing_trainer_ends_in_error_with_a_message_and_play_recovers(manager, tiny_request, broken):
    factories = {"make": lambda r: broken(r.text, r.model, r.train)}
    s = TrainingSession(manager, "tab-1", "watch", trainer_factory=lambda r: factories["make"](r))
    s.set_speed("max")
    s.play(tiny_request())
    wait_for(lambda: s.state == State.ERROR, what="error state")
    wait_for(lambda: not s.thread_alive, what="thread end")
    s.drain()
    assert s.history.message.startswith("Training crashed. Please try again.")
    assert s.trainer is None  # model and optimizer freed
    factories["make"] = lambda r: Trainer(r.text, r.model, r.train)
    s.play()  # the same request again, no reload
    wait_for(lambda: s.state == State.COMPLETED, what="recovery")
    s.drain()
    assert s.history.message == ""


def test_shutdown_leaves_no_thread(tiny_request):
    m = SessionManager(max_running=1)
    for i in range(3):
        m.session_for(f"tab-{i}", "watch").play(tiny_request(max_steps=3000, eval_interval=500))
    time.sleep(0.2)
    m.shutdown()
    assert trainer_threads() == []


class OutOfMemoryTrainer(Trainer):
    def step(self):
        raise MemoryError()


def test_running_out_of_memory_gives_the_specs_message(manager, tiny_request):
    s = TrainingSession(manager, "tab-1", "style", trainer_factory=lambda r: OutOfMemoryTrainer(r.text, r.model, r.train))
    s.play(tiny_request())
    wait_for(lambda: s.state == State.ERROR and not s.thread_alive, what="error state")
    s.drain()
    assert s.history.message == "Input too large for training. Try < 1000 words."
    assert s.request.text  # the text is kept for another try


def test_queued_runs_train_one_after_another_and_each_keeps_its_history(manager, tiny_request):
    s = manager.session_for("owner", "lab")
    first, second, third = (tiny_request(seed=seed, max_steps=20) for seed in (1, 2, 3))
    s.set_speed("max")
    s.enqueue(first)
    s.enqueue(second)
    s.enqueue(third)
    assert len(s.pending) in (1, 2)  # the first may already be training
    wait_for(lambda: s.drain() is not None and s.history.request is third and s.state == State.COMPLETED,
             what="the third queued run to complete")
    s.drain()
    assert [h.request for h in s.finished] == [first, second]
    for h in s.finished + [s.history]:
        assert h.ended == "completed"
        assert h.step == 20 and h.checkpoints[-1].step == 20
    assert len({h.run_id for h in s.finished + [s.history]}) == 3
    # Different seeds, different runs: the histories are not copies of one another.
    assert s.finished[0].losses != s.finished[1].losses
    assert s.pending == []
    assert len(trainer_threads()) <= 1


def test_stop_ends_the_whole_queue(manager, tiny_request):
    s = manager.session_for("owner", "lab")
    s.enqueue(tiny_request(max_steps=1000, eval_interval=100))
    s.enqueue(tiny_request(seed=5))
    s.enqueue(tiny_request(seed=6))
    wait_for(lambda: s.state == State.RUNNING, what="the first run to start")
    s.cancel_pending(0)
    assert [r.train.seed for r in s.pending] == [6]
    s.stop()
    assert s.state == State.STOPPED and s.pending == []
    s.drain()
    assert s.finished == [] and s.history.ended == "stopped"
    assert trainer_threads() == []


def test_a_failed_run_in_the_queue_does_not_cancel_the_runs_after_it(manager, tiny_request):
    s = manager.session_for("owner", "lab")
    s.set_speed("max")
    s.enqueue(tiny_request(max_steps=5000, eval_interval=10))  # too many checkpoints: refused
    s.enqueue(tiny_request(max_steps=20))
    wait_for(lambda: s.drain() is not None and len(s.finished) == 1 and s.state == State.COMPLETED,
             what="the second run to complete")
    assert s.finished[0].ended == "error" and "checkpoints" in s.finished[0].message
    assert s.history.ended == "completed"


def test_a_new_comparison_forgets_every_earlier_run_finished_ones_included(manager, tiny_request):
    s = manager.session_for("owner", "lab")
    s.set_speed("max")
    s.enqueue(tiny_request(max_steps=20))
    wait_for(lambda: s.state == State.COMPLETED, what="the first run")
    s.clear_runs()
    s.enqueue(tiny_request(seed=2, max_steps=20))
    s.enqueue(tiny_request(seed=3, max_steps=20))
    wait_for(lambda: s.drain() is not None and len(s.finished) == 1 and s.state == State.COMPLETED,
             what="the new comparison's runs")
    assert [h.request.train.seed for h in s.finished + [s.history]] == [2, 3]
