"""What every page shares: the session manager, who the browser session is, the look."""
from __future__ import annotations

import os

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from llmbreaker.engine import warm_up
from llmbreaker.engine.errors import UserInputError
from llmbreaker.engine.session import SessionManager, TrainingSession
from llmbreaker.lessons.explain import EXPLAIN, explain
from llmbreaker.ui.widgets.controls import state_badge

NO_BROWSER_SESSION = "no-browser-session"


def max_running_trainers() -> int | None:
    """The cap on trainers running at once: one per core this server may use (the manager's
    default, None here), unless a deployer sets LLMBREAKER_MAX_TRAINERS (the browser test that a
    closed tab frees its slot sets 1)."""
    try:
        return max(1, int(os.environ["LLMBREAKER_MAX_TRAINERS"]))
    except (KeyError, ValueError):
        return None


def browser_present(owner: str) -> bool | None:
    """Whether the browser session `owner` is still connected. Streamlit's runtime drops a session
    from its active ones when its websocket closes (closed tab, reload, lost connection); a session
    that reconnects keeps its id and is active again. None where no runtime answers (AppTest, or
    a script run outside a browser session), so that the manager leaves such sessions alone."""
    if owner == NO_BROWSER_SESSION or not runtime.exists():
        return None
    return runtime.get_instance().is_active_session(owner)


@st.cache_resource(show_spinner=False)
def get_manager() -> SessionManager:
    """One manager for the whole server, shared by every browser tab. Made on the first page anyone
    opens, which also warms torch up in the background (llmbreaker/engine/warm_up.py)."""
    warm_up.start()
    return SessionManager(max_running=max_running_trainers(), presence=browser_present)


# The pages, in navigation order: session key -> (title, file, icon, url path).
PAGES = {
    "landing": ("LLMBreaker", "app_pages/landing.py", ":material/home:", ""),  # "/", the default page
    "watch": ("Watch It Learn to Spell", "app_pages/watch.py", ":material/spellcheck:", "watch"),
    "cinema": ("Attention Evolution Cinema", "app_pages/cinema.py", ":material/grid_on:", "cinema"),
    "style": ("Style Transfer Speed Run", "app_pages/style.py", ":material/edit_note:", "style"),
    "inside": ("Inside the model", "app_pages/inside.py", ":material/memory:", "inside"),
    "lab": ("Architecture Lab", "app_pages/lab.py", ":material/science:", "lab"),
    "moe": ("Mixture of experts, live", "app_pages/moe.py", ":material/hub:", "moe"),
    "journey": ("The learning journey", "app_pages/journey.py", ":material/route:", "journey"),
    "tokens": ("Data and tokens", "app_pages/tokens.py", ":material/tag:", "tokens"),
    "microscope": ("Component microscope", "app_pages/microscope.py", ":material/biotech:", "microscope"),
    "follow": ("Follow one character", "app_pages/follow.py", ":material/conversion_path:", "follow"),
    "sampling": ("Sampling lab", "app_pages/sampling.py", ":material/casino:", "sampling"),
    "compare": ("Compare architectures", "app_pages/compare.py", ":material/compare_arrows:", "compare"),
    "rope": ("Rotary positions (RoPE)", "app_pages/rope.py", ":material/360:", "rope"),
    "scaling": ("Scaling laws", "app_pages/scaling.py", ":material/trending_down:", "scaling"),
    "runs": ("Your runs", "app_pages/runs.py", ":material/history:", "runs"),
}

# The sidebar's groups, in order: heading -> page keys. "" is the group without a heading.
# Each group is a line of its own, so the people adding pages to different groups do not meet.
PAGE_SECTIONS = {
    "": ["landing"],
    "Watch it learn": ["watch", "cinema", "style", "lab", "runs"],
    "Look inside": ["journey", "tokens", "microscope", "follow", "sampling", "inside"],
    "Modern models": ["compare", "rope", "scaling", "moe"],
}


def browser_session_id() -> str:
    """Streamlit's id of this browser tab's session: two tabs are two people."""
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else NO_BROWSER_SESSION


# Sessions of a page's second run, beside its main one (a comparison), and their sidebar names.
SECOND_RUN_TITLES = {"style_scratch": "Style · from scratch"}


def page_session(page: str) -> TrainingSession:
    """This page's training session for this browser tab (created on first visit). Touching all of
    the tab's sessions here keeps a run alive while its person looks at another page."""
    manager = get_manager()
    owner = browser_session_id()
    try:
        session = manager.session_for(owner, page)
    except UserInputError as e:  # the per-tab cap: say so instead of a traceback
        st.error(e.message, icon=":material/warning:")
        st.stop()
    for s in manager.sessions_of(owner):
        s.touch()
    return session


STYLE = """
<style>
/* Monospace for generated text (docs/design.md §Look); the Inter/JetBrains look where installed. */
html, body, [class*="css"] { font-family: 'Inter', 'Source Sans', system-ui, -apple-system, 'Segoe UI', sans-serif; }
.lb-title { font-size: 2.1rem; font-weight: 700; margin: 0 0 0.1rem 0;
            background: linear-gradient(135deg, #3B82F6, #06B6D4); -webkit-background-clip: text;
            background-clip: text; color: transparent; }
.lb-brand { font-size: 0.8rem; font-weight: 700; letter-spacing: 0.14em; text-transform: uppercase;
            background: linear-gradient(135deg, #3B82F6, #06B6D4); -webkit-background-clip: text;
            background-clip: text; color: transparent; margin-bottom: 0.1rem; }
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
/* Nothing is cut (docs/design.md §Projector; tests/test_e2e_clipping.py): page links and metric labels wrap onto a
   second line where Streamlit would end them with "…". */
[data-testid="stPageLink-NavLink"] > span:has(> [data-testid="stMarkdownContainer"]),
[data-testid="stPageLink-NavLink"] [data-testid="stMarkdownContainer"],
[data-testid="stPageLink-NavLink"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMetricLabel"] .stMarkdownEllipsis, [data-testid="stMetricLabel"] .stMarkdownEllipsis p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
[data-testid="stMetricLabel"] > div { min-width: 0; }
/* Table cells wrap (a source's long name), code lines too, rather than run out of sight. */
[data-testid="stTable"] td, [data-testid="stTable"] th { white-space: normal !important; overflow-wrap: anywhere; }
/* (the cell's paragraph too: Streamlit sets its own overflow-wrap there, and the table grew to a long
   word's width, "models/llama2/MODEL_CARD.md", out of sight.) */
[data-testid="stTable"] td [data-testid="stMarkdownContainer"] *, [data-testid="stTable"] th [data-testid="stMarkdownContainer"] * {
  overflow-wrap: anywhere !important; }
[data-testid="stMain"] [data-testid="stCode"] pre, [data-testid="stMain"] [data-testid="stCode"] code {
  white-space: pre-wrap !important; overflow-wrap: anywhere; }
/* Keyboard focus seen from the back of a room (docs/design.md §Projector): a thick amber ring, where Streamlit draws a
   faint shadow of the theme's blue. A switch's box is its label (its input is hidden). */
.stApp button:focus-visible, .stApp a:focus-visible, .stApp summary:focus-visible,
.stApp [role="slider"]:focus-visible, .stApp [data-testid="stCheckbox"] label:has(input:focus-visible) {
  outline: 4px solid #FBBF24 !important; outline-offset: 3px !important; border-radius: 0.5rem; }
/* The keys are said in the sidebar and in each button's help: the badge Streamlit puts inside a
   button with a shortcut ("Space") took the room of its label ("P…") in a one-row bar. */
[class*="_lbcontrols"] button kbd { display: none !important; }
/* All seven speeds in one row of the bar, at a projector's 1280 px too. */
[class*="_lbcontrols"] [data-testid="stButtonGroup"] button { padding-left: 0.5rem !important;
  padding-right: 0.5rem !important; min-width: 0 !important; }
</style>
"""


def apply_style() -> None:
    st.html(STYLE)


def page_header(title: str, subtitle: str, page: str | None = None) -> None:
    """The same header on every page: the app's name, the page's title and one line about it, and
    the page's "What am I looking at?" paragraph. The sessions indicator is in the sidebar."""
    st.html(f'<div class="lb-brand">LLMBreaker</div><div class="lb-title">{title}</div><div class="lb-sub">{subtitle}</div>')
    if page in EXPLAIN:
        # (in a keyed box: a run on a projector makes it a slim line, ui/inputs.COMPACT_HEADER_CSS)
        with st.container(key="lb_explain"), st.expander("What am I looking at?", icon=":material/school:"):
            st.markdown(explain(page))


SIDEBAR_POLL_SECONDS = 0.5  # as often as a live page (Watch, MoE): its list says the page's step


def runs_headline(sessions) -> str:
    """The line over the sidebar's list: how many of the runs listed are active (training, waiting or
    paused) and how many ended, so that it never says "0 active sessions" over a listed run."""
    active = sum(s.active for s in sessions)
    ended = len(sessions) - active
    line = f"**{active} active session{'s' * (active != 1)}**"
    if ended:
        line += f" · {ended} ended run{'s' * (ended != 1)} listed"
    return line


def sessions_indicator() -> None:
    """In the sidebar, every training session of this browser tab: its page (a link), state and
    progress, and "N active sessions" (docs/design.md §Sessions). Ticks once a second while any is active."""
    manager = get_manager()
    owner = browser_session_id()
    any_active = any(s.active for s in manager.sessions_of(owner))

    @st.fragment(run_every=SIDEBAR_POLL_SECONDS if any_active else None)
    def _indicator() -> None:
        sessions = [s for s in manager.sessions_of(owner) if s.request is not None]
        for s in sessions:
            # Fragments of one browser tab run one at a time, so draining here cannot race the
            # page's own fragment; it keeps runs on other pages up to date.
            s.snapshot()
            s.touch()
        st.markdown(runs_headline(sessions),
                    help="Each page keeps its own training run; runs go on while you look at another page. "
                         "A run whose tab is closed or reloaded is paused after a few seconds and ended soon after.")
        # The whole server, so that a wait in line is explained: everyone's runs share these trainers.
        running, waiting = manager.running_count(), manager.waiting_count()
        st.caption(f"This server: {running} of {manager.max_running} trainer{'s' * (manager.max_running != 1)} "
                   f"busy · {waiting} waiting")
        def page_of(s) -> str:  # a page's second run ("style_scratch", a comparison) is listed with its page
            return s.page if s.page in PAGES else s.page.split("_")[0]

        for s in sorted(sessions, key=lambda s: (list(PAGES).index(page_of(s)) if page_of(s) in PAGES else 99, s.page)):
            title, path, icon, _ = PAGES.get(page_of(s), (s.page, None, None, None))
            title = SECOND_RUN_TITLES.get(s.page, title)
            if path:
                st.page_link(path, label=title, icon=icon, help=f"Go to {title}")
            h = s.history
            budget = h.request.train.time_budget if h.request else 0
            # A run with a time budget ends on time, not at its step ceiling.
            progress = f"step {h.step:,} · {budget:g} s budget" if budget else f"step {h.step:,} / {h.total_steps:,}"
            st.html(f'<div style="margin:-0.4rem 0 0.6rem 2rem; font-size:0.8rem; color:#94A3B8">'
                    f'{state_badge(s.state)} {progress}</div>')

    _indicator()


WORKSHOP_CSS = """
<style>
/* Workshop mode: readable from the back of a room. The root font size stays: Streamlit's layout
   breakpoints are in rem, and a larger root turns the sidebar into an overlay. */
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p, [data-testid="stMain"] li,
[data-testid="stMain"] label p, [data-testid="stMain"] button p { font-size: 1.3rem !important; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] { font-size: 1.15rem !important; }
[data-testid="stMain"] h5 { font-size: 1.6rem !important; }
[data-testid="stMain"] h4 { font-size: 1.9rem !important; }
.lb-sub { font-size: 1.4rem; }
[data-testid="stCaptionContainer"] { color: #E2E8F0 !important; }
.lb-title { font-size: 2.8rem; }
.lb-prog { font-size: 1.25rem !important; }
.lb-row .g { color: #94A3B8 !important; }
.lb-row .meta { font-size: 1rem !important; }
.lb-side { font-size: 1.2rem !important; }
div[data-testid="stMetricValue"] { font-size: 2rem !important; }
/* Labels above metrics: three metrics share a narrow column (a long label wraps, see STYLE). */
[data-testid="stMain"] [data-testid="stMetricLabel"] p { font-size: 0.95rem !important; line-height: 1.3; }
/* Segmented controls keep their height: their larger labels need a tighter line. */
[data-testid="stMain"] [data-testid="stButtonGroup"] button p { line-height: 1.2 !important; }
/* Dropdowns, text boxes, tables and tabs grow with the rest (charts: font_scale()). */
[data-testid="stMain"] [data-baseweb="select"] input, [data-testid="stMain"] [data-testid="stSelectbox"] input,
[data-testid="stMain"] [data-baseweb="select"] span, [data-testid="stMain"] [data-testid="stTextInput"] input,
[data-testid="stMain"] [data-testid="stNumberInput"] input, [data-testid="stMain"] textarea { font-size: 1.15rem !important; }
[role="listbox"] li, [role="listbox"] [role="option"] { font-size: 1.15rem !important; }
[data-testid="stMain"] [data-testid="stTable"] td, [data-testid="stMain"] [data-testid="stTable"] th,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] td, [data-testid="stMain"] [data-testid="stMarkdownContainer"] th {
  font-size: 1.15rem !important; }
[data-testid="stMain"] [data-testid="stCode"] code { font-size: 1.05rem !important; }
[data-testid="stMain"] [data-baseweb="tab"] p { font-size: 1.3rem !important; }
.lb-heat-legend { font-size: 1.1rem !important; }
.lb-run-legend { font-size: 1.2rem !important; }
/* The live pictures on a projector's first screen: less empty space above the page's title. (The
   settings, downloads and model loading stay: a teacher needs them; a run folds the settings away.) */
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem !important; }
.st-key-lb_address_note [data-testid="stCaptionContainer"] { font-size: 0.9rem !important; }
/* The control bar is one row: its labels one size smaller, so that "Replay" and "Settings" fit. */
[class*="_lbcontrols"] button p, [class*="_lbcontrols"] label p { font-size: 1.1rem !important; }
[class*="_lbcontrols"] [data-testid="stButtonGroup"] button p { font-size: 1.05rem !important; }
[class*="_lbcontrols"] [data-testid="stButtonGroup"] button { padding-left: 0.4rem !important;
  padding-right: 0.4rem !important; }
</style>
"""


def workshop_toggle() -> None:
    # Workshop mode is part of the page's address, as ?workshop=1 (how a teacher's link writes it),
    # on every page: a reload, a copied link and the next page keep it. (A toggle bound to the
    # address wrote "true" and dropped a "1", so the address lost the mode at once.)
    raw = st.query_params.get("workshop", "").strip().lower()
    if "workshop" not in st.session_state:
        st.session_state["workshop"] = raw in ("1", "yes", "on", "true")
    if raw and raw not in ("1", "yes", "on", "true", "0", "no", "off", "false"):
        # The same note as every other bad link value (inputs.link_notes), kept for this tab.
        from llmbreaker.ui.widgets.inputs import drop_link_value

        shown = f"'{raw}'" if raw.isalnum() and len(raw) <= 24 else "a value"
        st.session_state["workshop_link_note"] = (
            f"This link sets workshop mode to {shown}, which is not allowed: it must be 1 or 0 (true or "
            f"false). Using the default instead.")
        drop_link_value("workshop")
    st.toggle("Workshop mode", key="workshop",
              on_change=lambda: st.session_state.pop("workshop_link_note", None),
              help="Large text, charts and lines for a projector. It is part of the page's address "
                   "(?workshop=1), so a reload or a shared link keeps it on.")
    if st.session_state.get("workshop_link_note"):
        st.warning(st.session_state["workshop_link_note"], icon=":material/link_off:")
    if workshop_on():
        if st.query_params.get("workshop") != "1":
            st.query_params["workshop"] = "1"
        st.html(WORKSHOP_CSS)
    elif "workshop" in st.query_params:
        del st.query_params["workshop"]


def workshop_on() -> bool:
    return bool(st.session_state.get("workshop", False))


def font_scale() -> float:
    """How much larger chart text and lines are drawn: 1.6x in workshop mode."""
    return 1.6 if workshop_on() else 1.0
