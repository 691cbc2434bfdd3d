"""A run belongs to a present page: when its browser session is gone, it gives its trainer slot
back within a grace period (paused and kept), and is ended after a longer absence. Also the cap
that follows the machine's cores, the order of the line, and the state while a model is built."""
import threading
import time

import pytest

from llmbreaker.engine import session as session_mod
from llmbreaker.engine.session import SessionManager, State, TrainingSession, available_cores
from llmbreaker.engine.trainer import Trainer

from conftest import trainer_threads
from test_session import wait_for

LONG = dict(max_steps=3000, eval_interval=500)


class Browsers:
    """Stands in for Streamlit's runtime: which browser sessions are connected."""

    def __init__(self, *owners):
        self.connected = set(owners)

    def __call__(self, owner):
        return owner in self.connected


@pytest.fixture
def browsers():
    return Browsers()


def make_manager(browsers, manual=True, **kw):
    """With manual=True the watcher thread never ticks by itself (interval of an hour): the test
    calls check_presence with the times it wants, so nothing depends on the clock."""
    kw.setdefault("away_grace", 20.0)
    kw.setdefault("away_end", 90.0)
    return SessionManager(presence=browsers, presence_interval=3600.0 if manual else 0.05, **kw)


@pytest.fixture
def managers():
    made = []
    yield made
    for m in made:
        m.shutdown()
    assert trainer_threads() == []


def test_a_closed_tabs_run_trains_through_the_grace_then_parks_and_frees_its_slot(browsers, managers, tiny_request):
    m = make_manager(browsers, max_running=1)
    managers.append(m)
    browsers.connected.add("tab-1")
    s = m.session_for("tab-1", "watch")
    s.play(tiny_request(**LONG))
    wait_for(lambda: s.state == State.RUNNING and s.trainer.step_count > 0, what="running")
    t0 = time.monotonic()
    browsers.connected.discard("tab-1")  # the tab is closed
    m.check_presence(now=t0)
    m.check_presence(now=t0 + 19.0)  # a connection that drops for a moment loses nothing
    going = s.trainer.step_count
    wait_for(lambda: s.trainer.step_count > going, what="training to go on within the grace")
    assert s.state == State.RUNNING and m.running_count() == 1
    m.check_presence(now=t0 + 20.0)
    wait_for(lambda: s.parked, timeout=5, what="the run to park")
    assert s.state == State.PAUSED and s.away
    assert m.running_count() == 0, "a parked run still holds a trainer slot"
    wait_for(lambda: not s.thread_alive, timeout=5, what="its thread to end")
    step = s.trainer.step_count
    assert step > 0  # kept: the model, optimizer and step are all there to go on with
    assert m.all_sessions() == [s] and m.session_by_id(s.id) is s  # addressable for a rejoin


def test_a_parked_run_goes_on_from_where_it_was_when_its_person_resumes(browsers, managers, tiny_request):
    m = make_manager(browsers)
    managers.append(m)
    s = m.session_for("tab-1", "watch")
    s.play(tiny_request(max_steps=400, eval_interval=100))
    wait_for(lambda: s.state == State.RUNNING and s.trainer.step_count > 5, what="some steps")
    t0 = time.monotonic()
    m.check_presence(now=t0)  # tab-1 is not connected
    m.check_presence(now=t0 + 25.0)
    wait_for(lambda: s.parked, timeout=5, what="parked")
    s.drain()
    parked_at = s.trainer.step_count
    assert s.history.step == parked_at  # every step taken was sent before it parked
    browsers.connected.add("tab-1")  # a reconnection: the same browser session is back
    m.check_presence(now=t0 + 30.0)
    assert m.away_for("tab-1") is None
    assert s.state == State.PAUSED, "a returning person finds the run paused, not gone"
    s.set_speed("max")
    s.resume()
    wait_for(lambda: s.state == State.COMPLETED, what="the resumed run to complete")
    s.drain()
    h = s.history
    assert h.steps == list(range(1, 401)), "the resumed run started again instead of going on"
    assert [c.step for c in h.checkpoints] == [0, 100, 200, 300, 400]
    assert h.ended == "completed" and not s.away


def test_the_freed_slot_goes_to_the_runs_in_line_in_order(browsers, managers, tiny_request):
    m = make_manager(browsers, max_running=1)
    managers.append(m)
    browsers.connected |= {"b", "c"}
    a, b, c = (m.session_for(o, "watch") for o in ("a", "b", "c"))
    a.play(tiny_request(**LONG))
    wait_for(lambda: a.state == State.RUNNING, what="a running")
    b.play(tiny_request(**LONG))
    wait_for(lambda: m.queue_position(b) == 1, what="b in line")
    c.play(tiny_request(**LONG))
    wait_for(lambda: m.queue_position(c) == 2, what="c in line")
    t0 = time.monotonic()
    m.check_presence(now=t0)  # a's tab is gone
    m.check_presence(now=t0 + 20.0)
    wait_for(lambda: b.state == State.RUNNING, timeout=10, what="b takes a's slot")
    assert a.parked and c.state == State.WAITING and m.queue_position(c) == 1
    assert m.running_count() == 1


def test_a_run_waiting_in_line_whose_tab_closes_leaves_the_line(browsers, managers, tiny_request):
    m = make_manager(browsers, max_running=1)
    managers.append(m)
    browsers.connected |= {"a", "c"}
    a, b, c = (m.session_for(o, "watch") for o in ("a", "b", "c"))
    a.play(tiny_request(**LONG))
    wait_for(lambda: a.state == State.RUNNING, what="a running")
    b.play(tiny_request(**LONG))
    c.play(tiny_request(**LONG))
    wait_for(lambda: (m.queue_position(b), m.queue_position(c)) == (1, 2), what="b and c in line")
    t0 = time.monotonic()
    m.check_presence(now=t0)  # b's tab is gone
    m.check_presence(now=t0 + 20.0)
    wait_for(lambda: m.queue_position(c) == 1, timeout=5, what="c moves up")
    wait_for(lambda: b.parked and not b.thread_alive, timeout=5, what="b parks")
    assert m.queue_position(b) is None and b.state == State.PAUSED
    a.stop()
    wait_for(lambda: c.state == State.RUNNING, timeout=10, what="c gets the slot, not the absent b")
    assert b.state == State.PAUSED


def test_after_the_longer_absence_the_session_is_ended_and_its_runs_freed(browsers, managers, tiny_request):
    m = make_manager(browsers)
    managers.append(m)
    browsers.connected.add("stays")
    s = m.session_for("gone", "watch")
    done = m.session_for("gone", "cinema")
    other = m.session_for("stays", "watch")
    done.set_speed("max")
    done.play(tiny_request(max_steps=20))
    wait_for(lambda: done.state == State.COMPLETED and not done.thread_alive, what="a finished run")
    done.drain()
    assert done.history.model_file and done.history.checkpoints
    s.play(tiny_request(**LONG))
    wait_for(lambda: s.state == State.RUNNING, what="running")
    t0 = time.monotonic()
    m.check_presence(now=t0)
    m.check_presence(now=t0 + 20.0)
    wait_for(lambda: s.parked, timeout=5, what="parked")
    m.check_presence(now=t0 + 89.0)
    assert s in m.all_sessions()  # still kept for its person
    m.check_presence(now=t0 + 90.0)
    assert m.all_sessions() == [other], "the absent tab's sessions (the finished one too) are still held"
    assert s.state == State.STOPPED and s.trainer is None and not s.thread_alive
    # Freed, even while Streamlit still holds the disconnected session's page fragments.
    assert done.history.model_file is None and done.history.checkpoints == [] and done.finished == []
    assert m.away_for("gone") is None


def test_without_a_presence_answer_runs_are_never_parked(managers, tiny_request):
    m = SessionManager(presence=lambda owner: None, presence_interval=3600.0)
    managers.append(m)
    s = m.session_for("tab-1", "watch")
    s.play(tiny_request(**LONG))
    wait_for(lambda: s.state == State.RUNNING, what="running")
    t0 = time.monotonic()
    m.check_presence(now=t0)
    m.check_presence(now=t0 + 1000.0)
    assert s.state == State.RUNNING and not s.parked and m.all_sessions() == [s]


def test_stop_and_step_once_work_on_a_parked_run(browsers, managers, tiny_request):
    m = make_manager(browsers)
    managers.append(m)
    s = m.session_for("tab-1", "watch")
    s.play(tiny_request(**LONG))
    wait_for(lambda: s.state == State.RUNNING and s.trainer.step_count > 0, what="running")
    t0 = time.monotonic()
    m.check_presence(now=t0)
    m.check_presence(now=t0 + 20.0)
    wait_for(lambda: s.parked and not s.thread_alive, timeout=5, what="parked")
    before = s.trainer.step_count
    browsers.connected.add("tab-1")
    s.step_once()
    wait_for(lambda: s.trainer is not None and s.trainer.step_count == before + 1, what="one step")
    wait_for(lambda: s.state == State.PAUSED, what="paused again after the step")
    assert not s.parked and m.running_count() == 1  # a person paused it now, with the tab open
    s.stop()
    assert s.state == State.STOPPED and not s.thread_alive
    # A parked run (no thread) stops too.
    s.play(tiny_request(**LONG))
    wait_for(lambda: s.state == State.RUNNING, what="running again")
    browsers.connected.discard("tab-1")
    t1 = time.monotonic()
    m.check_presence(now=t1)
    m.check_presence(now=t1 + 20.0)
    wait_for(lambda: s.parked, timeout=5, what="parked again")
    s.stop()
    assert s.state == State.STOPPED and s.trainer is None
    s.drain()
    assert s.history.ended == "stopped"


def test_the_watcher_thread_parks_by_itself_and_ends_with_the_last_session(browsers, managers, tiny_request):
    # away_end leaves room for the model to be built first (over a second on a busy machine): a run
    # still preparing when its session ends is ended without ever being parked.
    m = make_manager(browsers, manual=False, away_grace=0.3, away_end=5.0)
    managers.append(m)
    s = m.session_for("tab-1", "watch")
    s.play(tiny_request(**LONG))
    watcher = m._watcher  # this manager's own (other tests' managers may have theirs running)
    assert watcher is not None and watcher.is_alive()
    wait_for(lambda: s.parked, timeout=10, what="the watcher to park the run of a tab never connected")
    assert m.running_count() == 0
    wait_for(lambda: m.all_sessions() == [], timeout=10, what="the watcher to end the session")
    # The watcher ends the session, then waits for its training thread to finish its step (seconds
    # on a busy machine) before it looks again and finds nothing left to watch.
    wait_for(lambda: not watcher.is_alive(), timeout=30, what="the watcher thread to end with the last session")


class SlowBuild(Trainer):
    built = threading.Event()
    release = threading.Event()

    def __init__(self, *a, **kw):
        SlowBuild.built.set()
        SlowBuild.release.wait(10)
        super().__init__(*a, **kw)


def test_a_run_building_its_model_says_so_and_is_not_waiting_for_a_trainer(managers, tiny_request):
    m = SessionManager(max_running=2)
    managers.append(m)
    SlowBuild.built.clear()
    SlowBuild.release.clear()
    s = TrainingSession(m, "tab-1", "watch", trainer_factory=lambda r: SlowBuild(r.text, r.model, r.train))
    s.play(tiny_request(**LONG))
    assert SlowBuild.built.wait(10)
    try:
        assert s.state == State.PREPARING and s.active
        assert m.queue_position(s) is None and m.running_count() == 1
    finally:
        SlowBuild.release.set()
    wait_for(lambda: s.state == State.RUNNING, what="running once built")
    s.stop()


def test_the_cap_follows_the_cores_this_process_may_use(monkeypatch):
    monkeypatch.setattr(session_mod.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5})
    monkeypatch.setattr(session_mod, "_cgroup_cpu_quota", lambda: None)
    assert available_cores() == 6
    assert SessionManager().max_running == 6
    monkeypatch.setattr(session_mod, "_cgroup_cpu_quota", lambda: 2.0)  # a container allowed two cores
    assert available_cores() == 2
    monkeypatch.setattr(session_mod, "_cgroup_cpu_quota", lambda: 0.25)  # a fraction of a core: still one
    assert available_cores() == 1
    assert SessionManager(max_running=3).max_running == 3
