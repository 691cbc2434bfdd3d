"""Your runs: the runs this browser started, newest first; open, rename, delete, download, import."""
from llmbreaker.ui.runs_view import runs_page

runs_page()
