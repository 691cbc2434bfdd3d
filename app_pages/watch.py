"""Watch It Learn to Spell: pick a text, press Play, watch samples turn into words (docs/design.md §Watch)."""
from llmbreaker.ui.common import page_header
from llmbreaker.ui.watch import watch_page

PAGE = "watch"

page_header("Watch It Learn to Spell", "A tiny GPT reads a text one character at a time. Press Play and watch "
            "its guesses turn from noise into words.", page=PAGE)
watch_page(PAGE)  # this tab's run with its controls, or the run the address names (?run=), read-only
