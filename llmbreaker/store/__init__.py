"""The run store: runs that outlast a browser tab and a server restart (issue 16).

`RunStore` keeps each run (its request, checkpoints, final state and model file) in a real
database through SQLAlchemy: an SQLite file by default, any SQLAlchemy URL (PostgreSQL for
replicas) through LLMBREAKER_DB_URL. Engine side: never imports streamlit.
"""
from .db import (CURRENT_SCHEMA, RunStore, StoredCheckpoint, StoredRun, default_store, new_token,
                 settings_from_env)

__all__ = ["CURRENT_SCHEMA", "RunStore", "StoredCheckpoint", "StoredRun", "default_store", "new_token",
           "settings_from_env"]
