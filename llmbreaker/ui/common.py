"""What every page shares: the session manager, who the browser session is, the look."""
from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from llmbreaker.session import SessionManager, TrainingSession

# Two trainers at once on a 2-core machine: each gets a core; more wait in line (shown as waiting).
MAX_RUNNING_TRAINERS = 2


@st.cache_resource(show_spinner=False)
def get_manager() -> SessionManager:
    """One manager for the whole server, shared by every browser tab."""
    return SessionManager(max_running=MAX_RUNNING_TRAINERS)


def browser_session_id() -> str:
    """Streamlit's id of this browser tab's session: two tabs are two people."""
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else "no-browser-session"


def page_session(page: str) -> TrainingSession:
    """This page's training session for this browser tab (created on first visit). Touching all of
    the tab's sessions here keeps a run alive while its person looks at another page."""
    manager = get_manager()
    owner = browser_session_id()
    session = manager.session_for(owner, page)
    for s in manager.sessions_of(owner):
        s.touch()
    return session


STYLE = """
<style>
/* Monospace for generated text (spec NFR-2.4); the Inter/JetBrains look of appendix 10.2 where installed. */
html, body, [class*="css"] { font-family: 'Inter', system-ui, -apple-system, 'Segoe UI', sans-serif; }
.lb-title { font-size: 2.1rem; font-weight: 700; margin: 0 0 0.1rem 0;
            background: linear-gradient(135deg, #3B82F6, #06B6D4); -webkit-background-clip: text;
            background-clip: text; color: transparent; }
.lb-sub { color: #CBD5E1; font-size: 1.05rem; margin-bottom: 0.6rem; }
.lb-state { display: inline-block; padding: 0.1rem 0.6rem; border-radius: 999px; font-size: 0.8rem;
            font-weight: 600; letter-spacing: 0.02em; }
.lb-state.running { background: rgba(16,185,129,0.18); color: #34D399; }
.lb-state.waiting { background: rgba(245,158,11,0.18); color: #FBBF24; }
.lb-state.paused { background: rgba(139,92,246,0.2); color: #A78BFA; }
.lb-state.completed { background: rgba(59,130,246,0.2); color: #60A5FA; }
.lb-state.stopped, .lb-state.idle { background: rgba(100,116,139,0.25); color: #CBD5E1; }
.lb-state.error { background: rgba(245,158,11,0.22); color: #FBBF24; }
div[data-testid="stMetricValue"] { font-size: 1.3rem; }
</style>
"""


def apply_style() -> None:
    st.html(STYLE)


def page_header(title: str, subtitle: str) -> None:
    st.html(f'<div class="lb-title">{title}</div><div class="lb-sub">{subtitle}</div>')
