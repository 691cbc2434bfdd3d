"""The landing page, driven through Streamlit's AppTest (no browser): it is the app's default page,
shows the name, the tagline, Launch (into Watch, one click from Play) and the journey, turns on
workshop mode, and links every page."""
from pathlib import Path

import pytest

from llmbreaker.ui.shell import PAGE_SECTIONS, PAGES, get_manager
from llmbreaker.ui.views.landing import HERO, TAGLINE, TOUR

from conftest import fresh_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app():
    yield from fresh_app()


def test_the_default_page_is_the_landing_page_with_name_tagline_and_launch(app):
    app.run()
    assert not app.exception
    html = " ".join(h.proto.body for h in app.get("html"))
    assert "LLMBreaker" in html and "See intelligence emerge in real-time" in html
    links = {link.proto.label: link.proto for link in app.get("page_link")}
    assert links["Launch"].page == PAGES["watch"][3] == "watch"  # where Play is one click away
    assert links["See the whole journey"].page == "journey"  # and the journey one click away too
    assert links["Launch"].help and links["See the whole journey"].help
    assert get_manager().all_sessions() == []  # the first screen starts no training session


def test_the_landing_counts_the_pages_the_sidebar_lists(app):
    app.run()
    listed = sum(len(keys) for heading, keys in PAGE_SECTIONS.items() if heading)
    html = " ".join(h.proto.body for h in app.get("html"))
    assert f"{listed} pages, one tiny model" in html and listed == len(PAGES) - 1  # every page but the landing
    assert "Four pages" not in html


def test_workshop_mode_turned_on_from_the_landing_goes_with_launch_to_the_page_it_opens(app):
    app.run()
    assert not app.toggle(key="lb-workshop-toggle").value
    assert all(link.proto.query_string == "" for link in app.get("page_link"))
    app.toggle(key="lb-workshop-toggle").set_value(True).run()
    assert not app.exception
    assert app.query_params["workshop"] == "1" and app.toggle(key="workshop").value  # the mode, on
    links = {link.proto.label: link.proto for link in app.get("page_link")}
    assert links["Launch"].query_string == "workshop=1"  # even a Launch opened in a new tab is large
    app.switch_page("app_pages/watch.py").run()  # where Launch goes, in this tab
    assert app.toggle(key="workshop").value and app.query_params["workshop"] == "1"
    app.switch_page("app_pages/landing.py").run()
    app.toggle(key="lb-workshop-toggle").set_value(False).run()
    assert not app.toggle(key="workshop").value and "workshop" not in app.query_params


def test_what_you_will_see_links_every_page_of_the_tour_with_one_line(app):
    # The cards show the training pages and Inside; Launch's journey map and the sidebar reach the rest.
    app.run()
    links = {link.proto.label: link.proto.page for link in app.get("page_link")}
    assert set(TOUR) <= set(PAGES)
    for key in TOUR:
        title, _, _, url = PAGES[key]
        assert links[title] == url
    html = " ".join(h.proto.body for h in app.get("html"))
    assert "What you will see" in html and "No sign-up" in html


def test_the_background_is_constant_client_side_code_that_honours_reduced_motion():
    # The only HTML allowed to run JavaScript is a constant of the module, never built from input.
    assert HERO.count("<canvas") == 1 and HERO.count("<script>") == 1
    assert "prefers-reduced-motion" in HERO and TAGLINE in HERO


def test_the_watch_page_stays_at_its_own_address(app):
    app.run()
    app.switch_page("app_pages/watch.py").run()
    assert not app.exception
    assert any("Watch It Learn to Spell" in h.proto.body for h in app.get("html"))
    assert not any("See intelligence emerge" in h.proto.body for h in app.get("html"))
