"""Cutting a too-long text (docs/design.md §Limits): the cut never empties the box, and the original
stays until the person confirms by editing or training; Undo puts it back."""
from streamlit.testing.v1 import AppTest


def _page():
    import streamlit as st

    from llmbreaker.lessons import style
    from llmbreaker.ui.widgets.inputs import cut_controls

    text = st.text_area("Your writing", key="t_text")
    check = style.check_user_text(text)
    if check.error:
        st.error(check.error.message)
    cut_controls("t", "t_text", check)


def test_a_text_without_spaces_is_cut_to_the_limit_and_can_be_undone():
    original = "x" * 50_500 + " and then" + " some more words" * 30  # no space in its first 50,000
    at = AppTest.from_function(_page)
    at.session_state["t_text"] = original
    at.run()
    assert "Text too long" in at.error[0].value
    at.button(key="t_truncate").click().run()
    cut = at.text_area(key="t_text").value
    assert len(cut) == 50_000 and original.startswith(cut)  # not emptied
    assert not any("too long" in e.value for e in at.error) and f"Cut to 50,000 characters (from {len(original):,})" in at.info[0].value
    at.button(key="t_undo_cut").click().run()
    assert at.text_area(key="t_text").value == original
    assert not at.info and "Text too long" in at.error[0].value


def test_editing_the_cut_text_confirms_it():
    at = AppTest.from_function(_page)
    at.session_state["t_text"] = "Many words here. " * 3500
    at.run()
    at.button(key="t_truncate").click().run()
    cut = at.text_area(key="t_text").value
    assert cut.endswith("here.") and len(cut) <= 50_000
    at.text_area(key="t_text").set_value(cut + " My own ending.").run()
    assert all(b.key != "t_undo_cut" for b in at.button)
