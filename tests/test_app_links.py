"""Hostile link values (docs/design.md §Robustness): no value draws a traceback, every bad one gets the
same visible note and the default, on every page whose settings a link can set."""
import pytest

from conftest import fresh_app

BAD_NUMBERS = ["inf", "-inf", "Infinity", "1e400", "nan", "-1", "9" * 40]
NUMERIC = ("steps", "interval", "seed", "temp")


@pytest.fixture
def app_on():
    made = []

    def make(page):
        gen = fresh_app(f"app_pages/{page}.py")
        made.append(gen)
        return next(gen)
    yield make
    for gen in made:
        next(gen, None)  # the fixture body's clean-up: sessions shut down, caches cleared


def _value(at, key):
    return next(w for w in list(at.get("number_input")) + list(at.get("slider")) if w.key == key).value


@pytest.mark.parametrize("page", ["watch", "cinema", "moe"])
def test_infinite_and_other_bad_numbers_get_a_note_and_the_default(app_on, page):
    defaults = app_on(page)
    defaults.run()
    for value in BAD_NUMBERS:
        at = app_on(page)
        for setting in NUMERIC:
            at.query_params[f"{page}_{setting}"] = value
        at.run()
        assert not at.exception, (page, value, at.exception)
        notes = [w.value for w in at.warning if "which is not allowed" in w.value]
        assert len(notes) == len(NUMERIC), (value, notes)
        assert all("Using the default instead" in n for n in notes)
        for setting in NUMERIC:
            assert _value(at, f"{page}_{setting}") == _value(defaults, f"{page}_{setting}")
        assert at.button(key=f"{page}_play")  # the page is drawn below the settings
        at.run()  # a rerun keeps the notes and no longer sees the values
        assert not at.exception
        assert len([w for w in at.warning if "which is not allowed" in w.value]) == len(NUMERIC)


def test_a_bad_style_speed_gets_the_note_and_the_default(app_on):
    at = app_on("style")
    at.query_params["style_speed"] = "warp9"
    at.run()
    assert not at.exception
    assert "speed to 'warp9', which is not allowed: it must be 0.25x, 0.5x, 1x, 2x, 5x, 10x or max" in " ".join(
        w.value for w in at.warning)
    assert at.segmented_control(key="style_speed").value == "2x"


def test_a_bad_workshop_value_gets_a_note_and_the_mode_stays_off(app_on):
    at = app_on("watch")
    at.query_params["workshop"] = "banana"
    at.run()
    assert not at.exception
    assert "workshop mode to 'banana', which is not allowed" in " ".join(w.value for w in at.sidebar.warning)
    assert at.sidebar.toggle(key="workshop").value is False
    at.sidebar.toggle(key="workshop").set_value(True).run()  # the person sets it: the note goes
    assert not at.sidebar.warning


def test_good_link_values_get_no_note(app_on):
    at = app_on("watch")
    at.query_params["watch_steps"] = "1000"
    at.query_params["workshop"] = "1"
    at.run()
    assert not at.exception and not at.warning and not at.sidebar.warning
    assert at.number_input(key="watch_steps").value == 1000
