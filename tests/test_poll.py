"""How often a live page looks at its run (ui/controls.poll_seconds_for): fast while a run starts,
at the page's rate while it trains, slowly while every run is paused (a paused page that redrew
its pictures several times a second never held still on a busy machine), not at all when idle."""
from types import SimpleNamespace

from llmbreaker.engine.session import ACTIVE_STATES, State
from llmbreaker.ui.widgets.controls import PAUSED_POLL_SECONDS, START_POLL_SECONDS, poll_seconds_for


def run(state: State, checkpoints: int = 1):
    return SimpleNamespace(state=state, active=state in ACTIVE_STATES,
                           history=SimpleNamespace(checkpoints=[object()] * checkpoints))


def test_a_page_polls_at_its_rate_while_training_and_not_at_all_when_nothing_runs():
    assert poll_seconds_for((run(State.RUNNING),), 0.5) == 0.5
    assert poll_seconds_for((run(State.COMPLETED),), 0.5) is None
    assert poll_seconds_for((), 0.5) is None


def test_a_starting_run_is_polled_fast_for_its_first_points():
    assert poll_seconds_for((run(State.RUNNING, checkpoints=0),), 0.5) == START_POLL_SECONDS
    assert poll_seconds_for((run(State.PREPARING, checkpoints=0),), 0.25) == START_POLL_SECONDS


def test_a_paused_run_is_polled_slowly_unless_a_run_beside_it_trains():
    assert PAUSED_POLL_SECONDS > 0.5
    assert poll_seconds_for((run(State.PAUSED),), 0.25) == PAUSED_POLL_SECONDS
    assert poll_seconds_for((run(State.PAUSED), run(State.COMPLETED)), 0.25) == PAUSED_POLL_SECONDS
    assert poll_seconds_for((run(State.PAUSED), run(State.RUNNING)), 0.25) == 0.25
    # (paused before its first checkpoint: nothing comes until Resume or Step, which rerun the page)
    assert poll_seconds_for((run(State.PAUSED, checkpoints=0),), 0.5) == PAUSED_POLL_SECONDS
