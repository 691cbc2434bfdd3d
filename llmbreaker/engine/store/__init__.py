"""The run store: runs that outlast a browser tab and a server restart (docs/design.md §Runs).

`RunStore` keeps each run (its request, checkpoints, final state and model file) in a real
database through SQLAlchemy: an SQLite file by default, any SQLAlchemy URL (PostgreSQL for
replicas) through LLMBREAKER_DB_URL. Runs a page shows together form a series; `list_runs` lists a
browser's series ("Your runs"), `export_run` / `import_run` carry one as a .lbrun file (runfile.py).
Engine side: never imports streamlit.
"""
from llmbreaker.engine.store.db import (CURRENT_SCHEMA, RunStore, RunSummary, StoredCheckpoint, StoredRun, StoreError,
                                        default_store, new_token, settings_from_env)
from llmbreaker.engine.store.runfile import SUFFIX as RUN_FILE_SUFFIX
from llmbreaker.engine.store.runfile import RunFileError

__all__ = ["CURRENT_SCHEMA", "RUN_FILE_SUFFIX", "RunFileError", "RunStore", "RunSummary", "StoreError",
           "StoredCheckpoint", "StoredRun", "default_store", "new_token", "settings_from_env"]
