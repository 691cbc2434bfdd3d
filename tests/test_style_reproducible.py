"""The same text, seed and settings give the same Style run and the same text (docs/design.md §Honesty):
a rehearsed demo repeats. A run alone trains a fixed number of steps; only the side-by-side
comparison is given seconds."""
import time
from pathlib import Path

import pytest

from llmbreaker.engine.session import SessionManager, State
from llmbreaker.lessons.style import longest_copied_run
from llmbreaker.lessons.style_generation import generate_new_text
from llmbreaker.lessons.style_recipes import SCRATCH_STEPS, STYLE_SECONDS, recipe
from llmbreaker.engine.model_io import load_model
from llmbreaker.ui.views.style_start import FINETUNE, SCRATCH, style_request

from conftest import assert_no_trainer_threads

EMAIL = (Path(__file__).resolve().parent / "data" / "style_email.txt").read_text(encoding="utf-8")


def test_a_run_alone_is_fixed_in_steps_and_only_the_comparison_is_timed():
    for start in ("finetune", "scratch"):
        _, train = recipe(EMAIL, start)
        assert train.time_budget == 0 and train.fit_seconds == 0  # nothing measured by the clock
        _, timed = recipe(EMAIL, start, timed=True)
        assert timed.time_budget == STYLE_SECONDS
    assert recipe(EMAIL, "scratch")[1].max_steps == SCRATCH_STEPS
    assert style_request(EMAIL, FINETUNE).train.time_budget == 0
    assert style_request(EMAIL, SCRATCH, timed=True).train.time_budget == STYLE_SECONDS


def _run(start: str, speed: str, idle_cores: int, monkeypatch):
    # What the machine's load would give a trainer: CI's runs differed when one run found a core
    # idle (two torch threads) and the next did not (one), so each run here sees another machine.
    monkeypatch.setattr(SessionManager, "threads_per_trainer", lambda self, running=False: idle_cores)
    manager = SessionManager(max_running=1)
    try:
        s = manager.session_for("tab", "style")
        s.set_speed(speed)
        s.play(style_request(EMAIL, start))
        end = time.monotonic() + 300
        while (s.active or not s.events.empty()) and time.monotonic() < end:
            s.drain()
            time.sleep(0.05)
        s.drain()
        assert s.state == State.COMPLETED, s.history.message
        h = s.history
        model, tok = load_model(h.model_file)
        text = generate_new_text(model, tok, "Hi team", 0.8, 300, 1000, EMAIL)[0]
        return h.step, h.best_step, [(c.step, round(c.val_loss, 5), c.sample) for c in h.checkpoints], text
    finally:
        manager.shutdown()


@pytest.mark.parametrize("start", [FINETUNE, SCRATCH])
def test_the_same_text_twice_trains_the_same_steps_and_writes_the_same_text(start, monkeypatch):
    first = _run(start, "max", 2, monkeypatch)
    again = _run(start, "2x", 1, monkeypatch)  # another pace, another load of the machine: the same run
    assert first[0] == again[0] and first[1] == again[1]  # where it stopped, which checkpoint it kept
    assert first[2] == again[2]  # every checkpoint's loss and sample
    assert first[3] == again[3] and longest_copied_run(first[3], EMAIL)[1] >= 0
    assert_no_trainer_threads()
