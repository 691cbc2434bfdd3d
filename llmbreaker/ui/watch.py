"""The live part of "Watch It Learn to Spell": loss chart, text progression, next-token bars.

It runs as a fragment that polls only while the session is active: each tick drains the session's
events into its history and redraws from the history.

The page keeps its runs in the run store (issue 16): a run's address carries `?run=<token>`. The
tab that owns the run (or the same browser after a reload, while the server still trains it) sees it
live with its controls; anyone else opening the address sees it read-only, read from the store.
"""
from __future__ import annotations

import html
from dataclasses import fields

import streamlit as st

from llmbreaker.charts import loss_chart, next_token_chart
from llmbreaker.corpus import BUNDLED, word_set
from llmbreaker.presets import MODEL_SIZES
from llmbreaker.session import History, TrainingSession, request_from_settings
from llmbreaker.store import StoredRun
from llmbreaker.store.db import StoreError
from llmbreaker.textview import progression_html
from llmbreaker.trainer import Checkpoint
from llmbreaker.ui.browser_id import browser_key
from llmbreaker.ui.common import browser_session_id, font_scale, get_manager, page_session
from llmbreaker.ui.controls import live_fragment, progress_line, starting_note
from llmbreaker.ui.inputs import LR_OPTIONS, dataset_run_setup

POLL_SECONDS = 0.5
VIEW_POLL_SECONDS = 2.0  # a viewer of a run that trains reads the store this often (only checkpoints change)
SHARE_LINE = "Anyone with this page's address can view this run (read-only); it is never listed for others."


def watch_page(page: str) -> None:
    """The page below its header: this tab's own run (settings, controls, live view), or, when
    the address names another run, that run read-only."""
    manager = get_manager()
    session = page_session(page)
    session.store_runs = True
    key = browser_key()
    session.browser_key = key or session.browser_key
    _address_follows(page, session)
    token = st.query_params.get("run", "")
    if token and token != session.run_token:
        live = manager.session_by_token(token)
        # The same browser (a reloaded tab) rejoins its live run, controls and all.
        if (live is not None and key and live.browser_key == key and live is not session
                and manager.adopt(live, browser_session_id())):
            session = live
            _address_follows(page, session)
        else:
            viewer(page, token, session)
            return
    store = manager.store
    if not store.available:
        st.caption(f":material/cloud_off: {store.problem} Training works; this run will not open again from its address.")
    elif session.run_token:
        st.caption(f":material/link: This run's address opens it again after a reload or a server restart. {SHARE_LINE}")
    dataset_run_setup(page, session)
    live_view(session, page)


def _address_follows(page: str, session: TrainingSession) -> None:
    """When this tab starts a run (Play, Replay, a copy), the address names it; so it does when the
    page is opened without one (the sidebar's link) while this tab has a run."""
    seen_key = f"{page}_own_run"
    if session.run_token and (session.run_token != st.session_state.get(seen_key) or "run" not in st.query_params):
        st.session_state[seen_key] = session.run_token
        st.query_params["run"] = session.run_token


def _leave_run() -> None:
    st.query_params.pop("run", None)


def viewer(page: str, token: str, session: TrainingSession) -> None:
    """A stored run, read-only: its curve, samples and next-letter guesses, and a way to train a copy."""
    store = get_manager().store
    try:
        run = store.load_run(token)
    except StoreError as e:
        st.warning(f"{e} You can train a new run meanwhile.", icon=":material/cloud_off:")
        st.button("Train a new run", key=f"{page}_leave_run", on_click=_leave_run, type="primary")
        return
    if run is None:
        days = store.max_age / 86400
        st.warning("There is no run at this address. Check that the whole address was copied; runs are kept "
                   f"{days:g} days, and the oldest go first when the store is full.", icon=":material/link_off:")
        st.button("Train a new run", key=f"{page}_leave_run", on_click=_leave_run, type="primary",
                  help="Open this page without the run's address, to choose a text and press Play.")
        return
    st.info(f"You are viewing a run trained on **{run.label}**. {SHARE_LINE}", icon=":material/visibility:")
    c1, c2 = st.columns(2)
    c1.button("Train your own copy", key=f"{page}_copy_run", type="primary", width="stretch",
              on_click=_train_copy, args=(page, session, token),
              help="Start a fresh run on the same text with the same settings, in this tab: yours to control.")
    c2.button("Train something else", key=f"{page}_leave_run", width="stretch", on_click=_leave_run,
              help="Choose your own text and settings.")
    if st.session_state.get(f"{page}_copy_error"):
        st.error(st.session_state[f"{page}_copy_error"], icon=":material/warning:")
    live = get_manager().session_by_token(token)
    words = word_set(run.text)

    @st.fragment(run_every=VIEW_POLL_SECONDS if run.state == "running" and live is not None else None)
    def _view() -> None:
        shown = run
        if run.state == "running" and live is not None:
            try:
                shown = store.load_run(token) or run
            except StoreError:
                shown = run
            if shown.state != "running":
                st.rerun()  # it ended: redraw without polling
        _stored_progress(shown, live is not None)
        h = stored_history(shown, words)
        if h.message:
            st.error(h.message, icon=":material/warning:")
        if not h.checkpoints:
            st.info("This run has no checkpoint yet.", icon=":material/hourglass_top:")
            return
        draw_history(h, page)

    _view()


def _stored_progress(run: StoredRun, live_here: bool) -> None:
    total = max(1, run.total_steps)
    if run.state == "completed":
        words = "completed" + (f" in {run.seconds:.1f} s" if run.seconds is not None else "")
    elif run.state == "running" and live_here:
        words = "training (you are watching it live, read-only)"
    elif run.state in ("running", "interrupted"):
        # Still "running" in the store but trained by no one here: the server stopped under it.
        words = f"interrupted at step {run.step:,} (the server stopped while it trained)"
    else:
        words = {"stopped": f"stopped at step {run.step:,}", "error": "ended with an error"}.get(run.state, run.state)
    done = run.state == "completed"
    st.progress(1.0 if done else min(1.0, run.step / total), text=f"Step {run.step:,} / {run.total_steps:,} · {words}")


def stored_history(run: StoredRun, words: frozenset | None = None) -> History:
    """A stored run as the History the charts draw from."""
    names = [f.name for f in fields(Checkpoint)]
    checkpoints = [Checkpoint(**{n: getattr(c, n) for n in names}) for c in run.checkpoints]
    info = run.info or {}
    return History(steps=list(run.steps), losses=list(run.losses), checkpoints=checkpoints,
                   probe_tokens=info.get("probe_tokens", []), next_prompt=info.get("next_prompt", ""),
                   vocab=info.get("vocab", []), words=words if words is not None else word_set(run.text),
                   step=run.step, total_steps=run.total_steps, parameters=info.get("parameters", 0),
                   message=run.message, seconds=run.seconds, model_file=run.model_file)


def _train_copy(page: str, session: TrainingSession, token: str) -> None:
    """"Train your own copy": a fresh run of the stored request in this tab, with the page's settings
    set to match, so the controls and a later Replay say what is training."""
    st.session_state.pop(f"{page}_copy_error", None)
    try:
        run = get_manager().store.load_run(token)
        if run is None:
            raise StoreError("This run is gone from the store (removed meanwhile).")
        request = request_from_settings(run.text, run.label, run.settings)
        session.stop()
        session.play(request)
    except (StoreError, ValueError, TypeError) as e:
        st.session_state[f"{page}_copy_error"] = f"The copy could not start: {e} Choose a text and press Play instead."
        return
    except Exception as e:  # UserInputError and the like carry a message for people
        st.session_state[f"{page}_copy_error"] = getattr(e, "message", str(e))
        return
    dataset = next((k for k, (label, _) in BUNDLED.items() if label == run.label), None)
    if dataset:
        st.session_state[f"{page}_dataset"] = dataset
    t, m = request.train, request.model
    size = next((k for k, cfg in MODEL_SIZES.items() if cfg == m), None)
    if size:
        st.session_state[f"{page}_size"] = size
    st.session_state[f"{page}_steps"] = t.max_steps
    st.session_state[f"{page}_interval"] = t.eval_interval
    if t.learning_rate in LR_OPTIONS:
        st.session_state[f"{page}_lr"] = t.learning_rate
    st.session_state[f"{page}_temp"] = t.temperature
    st.session_state[f"{page}_seed"] = t.seed


def _selected_step(page: str, steps: list[int]) -> int | None:
    """The checkpoint the person clicked on the chart, if it is still one of this run's."""
    event = st.session_state.get(f"{page}_loss")
    picked = None
    try:
        points = event["selection"]["checkpoint"]
        if points:
            picked = int(points[0]["step"])
    except (KeyError, TypeError, IndexError, ValueError):
        picked = None
    return picked if picked in steps else None


def live_view(session: TrainingSession, page: str) -> None:
    live_fragment(session, page, lambda: _draw(session, page), POLL_SECONDS)


def _draw(session: TrainingSession, page: str) -> None:
    h = session.history
    progress_line(session)
    if h.message:
        st.error(f"{h.message} Your text and settings are kept: press Replay to try again.", icon=":material/warning:")
    if not h.checkpoints:
        if session.active:
            starting_note(session, "Preparing the model and taking the first checkpoint…")
        else:
            st.info("Press **Play** to train a tiny GPT on this text. Watch the loss fall and the "
                    "samples turn from gibberish into words.", icon=":material/lightbulb:")
        return

    draw_history(h, page)


def draw_history(h: History, page: str) -> None:
    """The loss curve, the samples and the next-letter guesses of one run's history (live or stored)."""
    steps = [c.step for c in h.checkpoints]
    selected = _selected_step(page, steps)
    scale = font_scale()
    st.markdown("##### Loss curve", help="Lower loss = better predictions. Click a checkpoint to see what the model wrote then.")
    st.vega_lite_chart(
        spec=loss_chart(h.steps, h.losses, h.checkpoints, h.total_steps, len(h.vocab), selected_step=selected,
                        height=int(320 * scale), font_scale=scale),
        key=f"{page}_loss", on_select="rerun", selection_mode="checkpoint", width="stretch",
    )
    st.caption("Lower loss = better predictions. Grey: every training step; blue (training text) and pink "
               "(held-out text it never trains on): measured at checkpoints. Click a checkpoint to see what the "
               "model wrote then.")

    shown = next(c for c in h.checkpoints if c.step == selected) if selected is not None else h.checkpoints[-1]
    left, right = st.columns([2.2, 1], gap="large")
    with left:
        st.markdown("##### What the model writes", help="One sample per checkpoint, newest first. Click a point "
                    "on the loss curve to see the output at that stage.")
        rows = [{"step": c.step, "val_loss": c.val_loss, "sample": c.sample} for c in reversed(h.checkpoints)]
        if selected is not None:
            # The clicked checkpoint first, so it is in view whatever its place in the list.
            st.caption(f"Selected on the chart: step {selected:,} (click the chart's background to clear)")
            st.html(progression_html([r for r in rows if r["step"] == selected], h.words, selected, animate=False, legend=False))
        st.html(progression_html(rows, h.words, selected))
    with right:
        st.markdown(f"##### Next letter · step {shown.step:,}")
        prompt = html.escape(h.next_prompt[-40:]).replace("\n", '<span style="color:#64748B">↵</span><br>')
        st.html(f'<div style="font-family: ui-monospace, monospace; color:#CBD5E1; font-size:0.95rem;">'
                f'<div style="color:#94A3B8; font-size:0.8rem;">after the text</div>'
                f'<div style="background:#1E293B; padding:0.3rem 0.5rem; border-radius:6px; white-space:pre-wrap;">'
                f'{prompt}<span style="color:#3B82F6">▌</span></div></div>')
        st.vega_lite_chart(spec=next_token_chart(shown.next_token, height=int(300 * scale), font_scale=scale),
                           width="stretch", key=f"{page}_next")
        st.caption("The model's top guesses for the next character. As it learns, one guess grows sure.")
