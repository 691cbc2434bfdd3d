"""Watch It Learn to Spell: pick a text, press Play, watch samples turn into words (spec 6.2, 8.1)."""
from llmbreaker.ui.common import page_header, page_session
from llmbreaker.ui.inputs import dataset_run_setup
from llmbreaker.ui.watch import live_view

PAGE = "watch"

page_header("Watch It Learn to Spell", "A tiny GPT reads a text one character at a time. Press Play and watch "
            "its guesses turn from noise into words.", page=PAGE)
session = page_session(PAGE)
dataset_run_setup(PAGE, session)
live_view(session, PAGE)
