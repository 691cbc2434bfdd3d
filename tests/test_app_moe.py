"""The mixture-of-experts page through AppTest: a short run draws the routing of the probe text, the
expert shares and the balancing loss; "balancing on vs off" trains both and shows them side by side."""
import time

import pytest

from llmbreaker.engine.session import State
from llmbreaker.ui.shell import PAGES, get_manager

from conftest import fresh_app


@pytest.fixture
def app():
    yield from fresh_app(PAGES["moe"][1])


def moe_session():
    return next(s for s in get_manager().all_sessions() if s.page == "moe")


def short_run(app):
    app.run()
    app.number_input(key="moe_steps").set_value(100)
    app.number_input(key="moe_interval").set_value(50)
    app.segmented_control(key="moe_speed").set_value("max")
    app.radio(key="moe_size").set_value("tiny")
    app.run()


def wait_done(session, finished=0, timeout=180):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        session.drain()
        if len(session.finished) == finished and session.state == State.COMPLETED:
            return
        time.sleep(0.2)
    raise AssertionError("the run did not complete")


def test_a_run_shows_which_expert_reads_each_character_and_the_shares(app):
    short_run(app)
    app.segmented_control(key="moe_experts").set_value(8).run()
    app.button(key="moe_play").click().run()
    s = moe_session()
    assert s.history.request.model.n_expert == 8 and s.history.request.model.expert_top_k == 1
    wait_done(s)
    app.run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    total, active = (int(metrics[k].replace(",", "")) for k in ("Total parameters", "Active per character"))
    assert active < total
    assert float(metrics["Balancing loss"]) >= 0.99
    probe = next(h.proto.body for h in app.get("html") if "expert E" in h.proto.body)
    assert probe.count("<span title=\"expert E") == len(s.history.probe_tokens)
    headings = " ".join(m.value for m in app.markdown)
    assert "Which expert reads each character" in headings and "Balancing loss over training" in headings


def test_balancing_on_vs_off_trains_both_and_shows_them_side_by_side(app):
    short_run(app)
    app.button(key="moe_compare").click().run()
    s = moe_session()
    assert [r.model.balance_loss > 0 for r in [s.history.request] + s.pending] == [True, False]
    wait_done(s, finished=1)
    app.run()
    assert not app.exception
    captions = " ".join(c.value for c in app.caption)
    assert captions.count("busiest expert") == 2
    assert s.finished[0].request.model.balance_loss > 0 and s.history.request.model.balance_loss == 0
