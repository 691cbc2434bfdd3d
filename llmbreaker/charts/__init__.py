"""Every picture a page draws, built from data: Vega-Lite specs, pydeck decks, HTML. Pure functions, no streamlit."""
