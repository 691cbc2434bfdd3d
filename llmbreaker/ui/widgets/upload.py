"""A person's file, read once: the one upload handler of the pages that take a text (Watch, Cinema,
MoE's dataset picker and the Style page). A file is read on the first run that sees it, not on every
rerun; one that cannot be read leaves a message for the page to show and changes nothing else
(docs/design.md §Datasets: an upload that fails keeps the text chosen before)."""
from __future__ import annotations

from typing import Callable

import streamlit as st

from llmbreaker.engine.corpus import read_upload
from llmbreaker.engine.errors import UserInputError


def new_upload(page: str, label: str, types: list[str], help: str,
               check: Callable[[str], None] | None = None) -> tuple[str, str] | None:
    """The page's file uploader. Returns (file name, text) once, on the run a new file arrives and
    is read (and passes `check`, which raises UserInputError); else None. A failure is kept for
    upload_error() until a file reads well."""
    file = st.file_uploader(label, type=types, key=f"{page}_upload", help=help)
    if file is None or st.session_state.get(f"{page}_upload_seen") == (file.name, file.size):
        return None
    st.session_state[f"{page}_upload_seen"] = (file.name, file.size)
    try:
        text = read_upload(file.name, file.getvalue())
        if check is not None:
            check(text)
    except UserInputError as e:
        st.session_state[f"{page}_upload_error"] = e.message
        return None
    st.session_state.pop(f"{page}_upload_error", None)
    return file.name, text


def upload_error(page: str) -> str | None:
    """The message of the page's last file that could not be read, until one reads well."""
    return st.session_state.get(f"{page}_upload_error")
