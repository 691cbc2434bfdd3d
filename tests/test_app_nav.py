"""The app around the pages, through AppTest: every page renders with the same header and its
"What am I looking at?" paragraph; workshop mode from a link; two sessions in the sidebar."""
import time
import pytest

from llmbreaker.engine.session import State
from llmbreaker.ui.shell import PAGES, get_manager
from llmbreaker.lessons.explain import EXPLAIN, explain

from conftest import fresh_app
TRAINING_PAGES = [key for key in PAGES if key != "landing"]  # every page but the landing page


@pytest.fixture
def app():
    yield from fresh_app()


@pytest.mark.parametrize("page", TRAINING_PAGES)
def test_every_page_has_the_header_and_a_what_am_i_looking_at_paragraph(app, page):
    app.switch_page(PAGES[page][1]).run()
    assert not app.exception
    header = " ".join(h.proto.body for h in app.get("html"))
    assert "LLMBreaker" in header and PAGES[page][0] in header
    expander = [e for e in app.expander if e.label == "What am I looking at?"]
    assert len(expander) == 1
    text = " ".join(m.value for m in expander[0].markdown)
    assert text == explain(page) and len(text.split()) >= 60
    assert app.sidebar.toggle(key="workshop").value is False  # the sidebar is on every page, workshop mode off


@pytest.mark.parametrize("value, on", [("1", True), ("true", True), ("0", False), ("banana", False)])
def test_workshop_link_values(app, value, on):
    app.query_params["workshop"] = value
    app.switch_page(PAGES["watch"][1]).run()
    assert not app.exception
    assert app.sidebar.toggle(key="workshop").value is on


def test_two_sessions_on_two_pages_are_listed_with_their_state(app):
    app.switch_page(PAGES["watch"][1]).run()
    app.number_input(key="watch_steps").set_value(3000)
    app.button(key="watch_play").click().run()
    app.switch_page(PAGES["cinema"][1]).run()
    app.number_input(key="cinema_steps").set_value(200)
    app.number_input(key="cinema_interval").set_value(50)
    app.segmented_control(key="cinema_speed").set_value("max")
    app.run()
    app.button(key="cinema_play").click().run()
    sidebar = " ".join(m.value for m in app.sidebar.markdown)
    assert "2 active sessions" in sidebar
    links = [p.proto.page for p in app.sidebar.get("page_link")]
    assert any("watch" in l for l in links) and any("cinema" in l for l in links)
    badges = " ".join(h.proto.body for h in app.sidebar.get("html"))
    assert badges.count("lb-state") >= 2
    watch = next(s for s in get_manager().all_sessions() if s.page == "watch")
    cinema = next(s for s in get_manager().all_sessions() if s.page == "cinema")
    assert watch.active
    end = time.monotonic() + 60
    while cinema.active and time.monotonic() < end:
        time.sleep(0.1)
    assert cinema.state == State.COMPLETED
    app.run()
    sidebar = " ".join(m.value for m in app.sidebar.markdown)
    assert "1 active session" in sidebar
    assert "completed" in " ".join(h.proto.body for h in app.sidebar.get("html"))


def test_every_page_is_in_exactly_one_sidebar_group():
    from llmbreaker.ui.shell import PAGE_SECTIONS
    grouped = [key for keys in PAGE_SECTIONS.values() for key in keys]
    assert sorted(grouped) == sorted(PAGES), "a page missing from the sidebar, or listed twice"
