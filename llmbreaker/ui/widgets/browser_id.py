"""Who is this browser? An opaque id, stable across reloads, that pages use to rejoin a run and
to list "Your runs".

A reload gives the tab a new Streamlit session id, so the session id cannot say "the same browser".
Streamlit's XSRF cookie can: the browser keeps it (Tornado sets it for 30 days) and another browser
does not share it. What leaves this module is a one-way hash of the cookie's token, never the token.
"""
from __future__ import annotations

import hashlib

import streamlit as st


def browser_key() -> str:
    """An opaque id of this browser: a hash of Streamlit's XSRF cookie. "" where there is none
    (AppTest, or a server with XSRF protection off)."""
    try:
        cookie = st.context.cookies.get("_streamlit_xsrf", "")
    except Exception:
        cookie = ""
    if not isinstance(cookie, str) or not cookie:
        return ""
    # Tornado writes the cookie as "2|mask|masked token|time" and Streamlit sends it again, with a
    # new random mask, on every page load: the token under the mask is what stays the same.
    parts = cookie.split("|")
    if len(parts) == 4 and parts[0] == "2":
        try:
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
            cookie = bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked)).hex() if mask else cookie
        except ValueError:
            pass
    return hashlib.sha256(cookie.encode()).hexdigest()[:32]


def owner_id(key: str | None = None) -> str:
    """What the run store records as a run's owner ("Your runs"): a second hash of the browser key,
    so that the database never holds the value a live page compares. "" when the browser has no key."""
    key = browser_key() if key is None else key
    return hashlib.sha256(f"llmbreaker-runs|{key}".encode()).hexdigest()[:32] if key else ""
