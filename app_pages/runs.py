"""Your runs: the runs this browser started, newest first; open, rename, delete, download, import."""
from llmbreaker.ui.views.runs import view

view()
