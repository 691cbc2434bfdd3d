"""The run of the page that Play causes draws the run's first loss point itself, instead of leaving
it to the live fragment's next tick (ui/controls.await_first_points; bench/latency.py measures it)."""
from __future__ import annotations

from llmbreaker.engine.session import SessionManager, State
from llmbreaker.ui.widgets import controls

from test_session import wait_for


def test_the_page_run_after_play_has_the_first_losses_to_draw(manager, tiny_request, monkeypatch):
    monkeypatch.setattr(controls, "FIRST_POINTS_WAIT", 60.0)  # however busy the machine: it ends when they come
    s = manager.session_for("tab-1", "watch")
    s.set_speed("max")
    s.play(tiny_request())
    controls.await_first_points(s)
    s.drain()
    assert s.history.steps and s.history.steps[0] == 1
    s.stop()


def test_a_run_waiting_in_line_does_not_hold_its_page(tiny_request, monkeypatch):
    m = SessionManager(max_running=1)
    try:
        first, second = m.session_for("tab-1", "watch"), m.session_for("tab-2", "watch")
        first.play(tiny_request(max_steps=3000, eval_interval=500))
        wait_for(lambda: first.state == State.RUNNING, what="the first run training")
        second.play(tiny_request())
        wait_for(lambda: m.queue_position(second) == 1, what="the second run in line")
        waited = []
        monkeypatch.setattr(second, "wait_for_first_points", lambda timeout: waited.append(timeout))
        controls.await_first_points(second)
        assert waited == []  # its first points may be minutes away
    finally:
        m.shutdown()
