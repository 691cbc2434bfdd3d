"""Architecture Lab: switch parts of the transformer off, train, and compare the runs (docs/design.md §Lab)."""
from llmbreaker.ui.common import page_header
from llmbreaker.ui.lab_view import lab_page

page_header("Architecture Lab", "Switch parts of the transformer off or swap them, train, and compare: "
            "what does each part do?", page="lab")
lab_page()
