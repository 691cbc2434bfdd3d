"""A run fitted to its seconds (TrainConfig.fit_seconds): a slow machine trains fewer steps and still
ends its whole schedule; a fast one trains the steps asked for; a fixed-steps run is untouched."""
from __future__ import annotations

import threading
import time
from dataclasses import replace

from llmbreaker.engine.session import State, TrainingSession
from llmbreaker.engine.trainer import FIT_MARGIN, Trainer, fit_checkpoints, fit_steps

from conftest import TINY_MODEL, tiny_train


def test_fit_steps_takes_what_the_measured_rate_allows_and_never_more_than_asked():
    # 100 steps in 2 s of compute (50 steps/s), 2 s gone, 10 checkpoints of 0.1 s to come, 25 s in all.
    assert fit_steps(100, 2.0, 2.0, 0.1, 10, 25.0, 5000) == 100 + int(FIT_MARGIN * 50 * (25 - 2 - 1))
    assert fit_steps(100, 2.0, 2.0, 0.1, 10, 25.0, 1000) == 1000  # a fast enough machine: the steps asked
    assert fit_steps(100, 2.0, 30.0, 0.1, 10, 25.0, 5000) == 101  # out of time already: end soon
    assert fit_steps(0, 0.0, 0.0, 0.1, 10, 25.0, 800) == 800  # nothing measured: nothing changed


def test_a_slow_machine_keeps_fewer_checkpoints_rather_than_a_handful_of_steps():
    assert fit_checkpoints(11, 0.1, 24.0) == 11  # a quick checkpoint: every one is kept
    assert fit_checkpoints(11, 2.0, 24.0) == 6  # 2 s each: at most half of the 24 s left
    assert fit_checkpoints(11, 30.0, 24.0) == 1  # at least the last one
    assert fit_checkpoints(11, 0.0, 24.0) == 11  # nothing measured: nothing changed
    # With checkpoints of 2 s, keeping all 11 left a run (50 steps/s) 2 s for steps; keeping 6, 12 s.
    kept = fit_checkpoints(11, 2.0, 24.0)
    assert fit_steps(50, 1.0, 1.0, 2.0, kept, 25.0, 2200) >= 4 * fit_steps(50, 1.0, 1.0, 2.0, 11, 25.0, 2200)


def test_refit_to_fewer_checkpoints_widens_their_interval(poems):
    t = Trainer(poems, TINY_MODEL, tiny_train(max_steps=1000, eval_interval=100, warmup_steps=50))
    t.refit(600, checkpoints=4)
    assert t.config.max_steps == 600 and t.config.eval_interval == 150  # 4 checkpoints, not 10
    t.refit(600, checkpoints=20)  # more than it asked for: still about as many as asked (10)
    assert t.config.eval_interval == 60


def test_refit_ends_the_schedule_at_the_new_step_count_and_keeps_the_checkpoints(poems):
    t = Trainer(poems, TINY_MODEL, tiny_train(max_steps=1000, eval_interval=100, warmup_steps=50))
    at_a_fifth = t.lr_at(200)
    t.refit(400)
    assert t.config.max_steps == 400 and t.config.eval_interval == 40  # still 10 checkpoints
    assert t.lr_at(399) < 0.1 * t.config.learning_rate  # the cosine ends at the new end
    assert t.lr_at(200) < at_a_fifth  # step 200 is halfway now, no longer a fifth of the way
    t.refit(2000)  # a faster machine than measured: back up, but never more than was asked for
    assert t.config.max_steps == 1000 and t.config.eval_interval == 100


class SlowTrainer(Trainer):
    """A machine at a known speed: every step takes at least `step_seconds()` (15 ms)."""

    def step_seconds(self) -> float:
        return 0.015

    def step(self):
        t0 = time.perf_counter()
        loss = super().step()
        spare = self.step_seconds() - (time.perf_counter() - t0)
        if spare > 0:
            time.sleep(spare)
            self.train_seconds += spare
        return loss


def run_to_end(session: TrainingSession) -> None:
    done = threading.Event()
    for _ in range(600):
        session.drain()
        if session.state in (State.COMPLETED, State.STOPPED, State.ERROR):
            break
        done.wait(0.1)
    session.drain()


def test_a_slow_machine_trains_fewer_steps_in_the_time_and_ends_its_schedule(manager, poems):
    from llmbreaker.engine.session import TrainingRequest

    s = TrainingSession(manager, "tab-1", "watch", trainer_factory=lambda r: SlowTrainer(r.text, r.model, r.train))
    s.set_speed("max")
    train = tiny_train(max_steps=5000, eval_interval=500, fit_seconds=4.0)  # at most ~67 steps/s: not 5,000 in 4 s
    s.play(TrainingRequest(poems, TINY_MODEL, train, label="Poems"))
    run_to_end(s)
    h = s.history
    assert s.state == State.COMPLETED, h.message
    assert 20 < h.total_steps < 5000  # fitted to the measured speed
    assert h.step == h.total_steps and h.checkpoints[-1].step == h.total_steps  # and trained to its end
    assert len(h.checkpoints) >= 9  # about as many checkpoints as asked for (5000 / 500 + step 0)
    assert h.checkpoints[-1].lr < 0.2 * train.learning_rate  # the whole cosine, not cut off


class TimedTrainer(Trainer):
    """A machine at a known speed: every step takes at least 8 ms of compute."""

    def step(self):
        t0 = time.perf_counter()
        loss = super().step()
        spare = 0.008 - (time.perf_counter() - t0)
        if spare > 0:
            time.sleep(spare)
            self.train_seconds += spare
        return loss


def test_slow_motion_trains_the_same_steps_as_1x(manager, poems):
    # A run fitted to 3.2 s that this machine trains whole at 1x (200 steps of 8 ms, paced to 16 ms;
    # fitted after its first second of compute, at step 125): at 0.25x it takes four times as long
    # and still trains every step. (Before, the fit counted the slow pace's waits as training time
    # and cut the run to 130 steps.)
    from llmbreaker.engine.session import TrainingRequest

    Trainer(poems, TINY_MODEL, tiny_train()).step()  # torch's first steps in this process are slow
    ran = {}
    for speed in ("0.25x", "1x"):
        s = TrainingSession(manager, f"tab-{speed}", "watch", trainer_factory=lambda r: TimedTrainer(r.text, r.model, r.train))
        s.set_speed(speed)
        t0 = time.monotonic()
        s.play(TrainingRequest(poems, TINY_MODEL, tiny_train(max_steps=200, eval_interval=40, fit_seconds=3.2),
                               label="Poems"))
        run_to_end(s)
        assert s.state == State.COMPLETED, s.history.message
        ran[speed] = (s.history.total_steps, s.history.step, time.monotonic() - t0)
    # On a quiet machine both train all 200 steps. On a busy one (CI beside other work) even 1x may
    # be fitted to fewer; slow motion then trains about as many as 1x did, never a fraction of them
    # (the fit counting the holds gave 127 of 200).
    assert ran["0.25x"][0] == ran["0.25x"][1], ran  # trained to the end of its schedule
    assert ran["0.25x"][0] >= 0.9 * ran["1x"][0], ran
    assert ran["0.25x"][2] > 3 * ran["1x"][2], ran  # slower for explaining, the same run


def test_a_fixed_run_and_a_fast_enough_machine_train_every_step(manager, poems):
    from llmbreaker.engine.session import TrainingRequest

    for fit in (0.0, 60.0):  # fixed; or fitted, with far more time than 300 tiny steps need
        s = TrainingSession(manager, f"tab-{fit}", "watch")
        s.set_speed("max")
        s.play(TrainingRequest(poems, TINY_MODEL, replace(tiny_train(max_steps=300, eval_interval=100),
                                                          fit_seconds=fit), label="Poems"))
        run_to_end(s)
        assert (s.state, s.history.total_steps, s.history.step) == (State.COMPLETED, 300, 300), fit


def test_the_page_fits_its_run_to_25_seconds_unless_a_step_count_is_named():
    from conftest import fresh_app
    from llmbreaker.ui.shell import get_manager

    for app in fresh_app("app_pages/watch.py"):
        app.run()
        assert app.toggle(key="watch_fit").value is True  # the default: 25 s on this computer
        app.segmented_control(key="watch_speed").set_value("max").run()
        app.button(key="watch_play").click().run()
        s = next(x for x in get_manager().all_sessions() if x.page == "watch")
        assert s.request.train.fit_seconds == 25.0 and s.request.train.max_steps == 2200
        s.stop()
        app.number_input(key="watch_steps").set_value(600).run()  # choosing a number: exactly that many
        assert app.toggle(key="watch_fit").value is False
    for app in fresh_app("app_pages/watch.py"):
        app.query_params["watch_steps"] = "800"  # a link that names a step count
        app.run()
        assert app.toggle(key="watch_fit").value is False
        assert app.number_input(key="watch_steps").value == 800
    from llmbreaker.engine.store import default_store
    default_store().close()  # its writer thread ends with it, not WRITER_IDLE_SECONDS later


def test_a_fitted_runs_step_count_is_what_the_store_keeps(tmp_path, poems):
    from llmbreaker.engine.session import SessionManager, TrainingRequest
    from llmbreaker.engine.store import RunStore

    store = RunStore(f"sqlite:///{tmp_path / 'runs.db'}")
    m = SessionManager(max_running=1, store=store)
    try:
        s = TrainingSession(m, "tab-1", "watch", trainer_factory=lambda r: SlowTrainer(r.text, r.model, r.train))
        s.store_runs = True
        s.set_speed("max")
        s.play(TrainingRequest(poems, TINY_MODEL, tiny_train(max_steps=5000, eval_interval=500, fit_seconds=3.0),
                               label="Poems"))
        run_to_end(s)
        assert s.state == State.COMPLETED and s.history.total_steps < 5000
        assert store.flush()
        run = store.load_run(s.run_token)
        assert run.total_steps == s.history.total_steps == run.step  # "Your runs" says the steps it trained
    finally:
        m.shutdown()
        store.close()


class SpeedsUpTrainer(SlowTrainer):
    """A machine that gets faster mid-run, as a trainer given a second torch thread at a checkpoint
    does, only more so: 60 ms a step for the first 1.2 s of training (its first fit is at 1 s),
    then 6 ms (or what the machine allows)."""

    def step_seconds(self) -> float:
        return 0.060 if self.train_seconds < 1.2 else 0.006


def test_a_run_that_speeds_up_is_fitted_again_and_uses_its_seconds(manager, poems, monkeypatch):
    """Fitted only on the first seconds' rate, a run that went on twice as fast ended seconds early
    (21 s of 25 on the Watch page): it is fitted again at its checkpoints, with the rate since."""
    import llmbreaker.engine.session as session_module
    from llmbreaker.engine.session import TrainingRequest

    def steps_trained(tab: str) -> int:
        s = TrainingSession(manager, tab, "watch", trainer_factory=lambda r: SpeedsUpTrainer(r.text, r.model, r.train))
        s.set_speed("max")
        s.play(TrainingRequest(poems, TINY_MODEL, tiny_train(max_steps=5000, eval_interval=500, fit_seconds=8.0),
                               label="Poems"))
        run_to_end(s)
        assert s.state == State.COMPLETED and s.history.step == s.history.total_steps, s.history.message
        return s.history.total_steps

    refitted = steps_trained("tab-refit")
    monkeypatch.setattr(session_module, "REFIT_UNTIL", 0.0)  # fitted twice at the start only, as before
    fitted_early = steps_trained("tab-early")
    assert refitted >= 1.5 * fitted_early, (refitted, fitted_early)


def test_a_refit_never_puts_two_checkpoints_a_step_apart(poems):
    """Checkpoints are counted from the last one: a refit to a new interval at a checkpoint (25,
    then interval 13) put the next one at step 26 (a multiple of 13), two rows a step apart."""
    t = Trainer(poems, TINY_MODEL, tiny_train(max_steps=1000, eval_interval=100))
    t.checkpoint()
    taken = []
    while t.step_count < 60:
        t.step()
        if t.step_count == 20:
            t.refit(250)  # interval 25
        if t.is_checkpoint_step():
            taken.append(t.step_count)
            t.checkpoint()
            if t.step_count == 25:
                t.refit(130)  # interval 13: 26 is a multiple of it
    assert taken == [25, 38, 51]
