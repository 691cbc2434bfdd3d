"""The engine: the model, its training in background threads, the texts it reads and the run store. Never imports streamlit, a lesson, a chart or the UI."""
