"""The rule for a trainer's torch threads (llmbreaker/engine/cpu_share.py): counts in, threads out."""
from llmbreaker.engine.cpu_share import CpuMeter, torch_threads


def test_a_lone_trainer_on_an_idle_two_core_machine_gets_two_threads():
    assert torch_threads(cores=2, threads_in_use=1, other_busy=0.0) == 2
    assert torch_threads(cores=2, threads_in_use=1, other_busy=0.2) == 2  # a page's redraws, a shell


def test_anything_that_keeps_the_other_core_busy_leaves_one_thread():
    assert torch_threads(cores=2, threads_in_use=1, other_busy=0.3) == 1  # a browser drawing now and then
    assert torch_threads(cores=2, threads_in_use=1, other_busy=1.0) == 1  # a CPU hog
    assert torch_threads(cores=2, threads_in_use=2, other_busy=0.0) == 1  # a second trainer
    assert torch_threads(cores=1, threads_in_use=1, other_busy=0.0) == 1  # one core


def test_more_cores_leave_room_for_several_trainers_with_two_threads():
    assert torch_threads(cores=8, threads_in_use=4, other_busy=2.5) == 2
    assert torch_threads(cores=8, threads_in_use=8, other_busy=0.0) == 1
    assert torch_threads(cores=4, threads_in_use=1, other_busy=-1.0) == 2  # a negative measure counts as none


def test_the_meter_has_no_figure_before_its_second_reading_then_a_share_of_the_cores():
    meter = CpuMeter()
    assert meter.other_busy() is None
    meter._last = (meter._last[0] - 1.0, meter._last[1], meter._last[2])  # as if read a second ago
    value = meter.other_busy()
    assert value is not None and value >= 0.0


def test_the_session_manager_gives_a_trainer_the_rules_threads(monkeypatch):
    import llmbreaker.engine.session as session_mod
    manager = session_mod.SessionManager(max_running=2)
    try:
        monkeypatch.setattr(session_mod, "available_cores", lambda: 2)
        assert manager.threads_per_trainer() == 1  # nothing measured yet: one
        monkeypatch.setattr(manager._cpu, "other_busy", lambda: 0.1)
        assert manager.threads_per_trainer() == 2
        manager._running.add("someone")  # a trainer already runs: this one would be the second
        assert manager.threads_per_trainer() == 1
        assert manager.threads_per_trainer(running=True) == 2  # it is that one, alone
        monkeypatch.setattr(manager._cpu, "other_busy", lambda: 0.9)  # a browser drawing, a hog
        assert manager.threads_per_trainer(running=True) == 1
    finally:
        manager._running.clear()
        manager.shutdown()
