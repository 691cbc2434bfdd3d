"""The learning journey: the pipeline as a metro line, each station linked to its page, and three
learning paths (docs/design.md §Journey). The landing page's "See the whole journey" leads here."""
from llmbreaker.ui.common import page_header
from llmbreaker.ui.journey_map import PAGE, view

page_header("The learning journey", "From a text to the next character: six stations, each one a page "
            "that shows it on a real model.", page=PAGE)
view()
