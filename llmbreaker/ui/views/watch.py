"""Watch It Learn to Spell: its own run's settings and controls, and the live part: loss chart,
text progression, next-token bars.

The live part is a fragment that polls only while the run is active: each tick drains the session's
events into its history and redraws from the history. The same drawing shows a run read from the
address (`?run=`): a Recording (llmbreaker/engine/replay.py) read like a session, see ui/run_address.py.
"""
from __future__ import annotations

import html

import streamlit as st

from llmbreaker.charts.samples import progression_html
from llmbreaker.charts.training import loss_chart, next_token_chart
from llmbreaker.engine.corpus import BUNDLED
from llmbreaker.engine.presets import MODEL_SIZES
from llmbreaker.engine.session import History, TrainingSession
from llmbreaker.ui.shell import font_scale, page_header, page_session
from llmbreaker.ui.widgets.controls import live_fragment, progress_line, starting_note
from llmbreaker.ui.widgets.inputs import LR_OPTIONS, dataset_run_setup
from llmbreaker.ui.widgets.run_address import shown_session

PAGE = "watch"
POLL_SECONDS = 0.5


def view() -> None:
    """This tab's own run (settings, controls, live view), or, when the address names another
    run, that run read-only, with replay (ui/widgets/run_address.py)."""
    page_header("Watch It Learn to Spell", "A tiny GPT reads a text one character at a time. Press Play and watch "
                "its guesses turn from noise into words.", page=PAGE)
    session = page_session(PAGE)
    shown = shown_session(PAGE, session, on_copy=lambda request: _match_settings(PAGE, request))
    if shown is None:
        return
    if not shown.read_only:
        dataset_run_setup(PAGE, shown)
    live_view(shown, PAGE)


def _match_settings(page: str, request) -> None:
    """After "Train your own copy": the page's settings say what is training, so that a later
    Replay of the training controls trains the same."""
    dataset = next((k for k, (label, _) in BUNDLED.items() if label == request.label), None)
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
    # One slot for the note, always there: the loss chart below keeps its place in the page from
    # before Play to the end of the run, so the browser updates one chart instead of building a new
    # one (loading a Vega chart was a large part of the wait for the first loss point).
    note = st.container()
    if h.message:
        note.error(f"{h.message} Your text and settings are kept: press Replay to try again.", icon=":material/warning:")
    elif not h.steps and not h.checkpoints:
        with note:
            if session.active:
                starting_note(session, "Preparing the model and taking the first steps…")
            else:
                st.info("Press **Play** to train a tiny GPT on this text. Watch the loss fall and the "
                        "samples turn from gibberish into words.", icon=":material/lightbulb:")
    draw_history(h, page, planned_steps=st.session_state.get(f"{page}_steps"))


def draw_history(h: History, page: str, planned_steps: int | None = None) -> None:
    """The loss curve, the samples and the next-letter guesses of one run's history (live or stored).
    Before a run (`planned_steps`: what the settings ask for) the curve's axes are drawn empty."""
    steps = [c.step for c in h.checkpoints]
    selected = _selected_step(page, steps)
    scale = font_scale()
    # The first screen (a projector's 1280 x 720 too, settings folded): the curve, and beside it what
    # the model writes now and its next-letter guesses. Every sample, newest first, below.
    # On a projector (workshop mode) the next-letter guesses get a column of their own: under the
    # sample they ran 170 px past a 1280 x 720 first screen.
    if scale > 1:
        curve, now, guesses = st.columns([1.5, 1, 0.9], gap="medium")
    else:
        curve, now = st.columns([1.7, 1], gap="medium")
        guesses = now
    with curve:
        st.markdown("##### Loss curve", help="Lower loss = better predictions. Click a checkpoint to see what the "
                    "model wrote then.")
        st.vega_lite_chart(
            spec=loss_chart(h.steps, h.losses, h.checkpoints, h.total_steps or int(planned_steps or 0),
                            len(h.vocab), selected_step=selected, height=300 if scale == 1 else 270,
                            font_scale=scale),
            key=f"{page}_loss", on_select="rerun", selection_mode="checkpoint", width="stretch",
        )
        st.caption("Grey: every training step; blue (training text) and pink (held-out text it never trains on): "
                   "measured at checkpoints. Click a checkpoint to see what the model wrote then.")
    if not h.checkpoints:
        return

    shown = next(c for c in h.checkpoints if c.step == selected) if selected is not None else h.checkpoints[-1]
    with now:
        st.markdown(f"##### It writes · step {shown.step:,}", help="The sample of the checkpoint shown: the newest, "
                    "or the one clicked on the loss curve. Blue: real words of the text.")
        st.html(progression_html([{"step": shown.step, "val_loss": shown.val_loss, "sample": shown.sample}], h.words,
                                 None, animate=selected is None, legend=False, compact=True))
    with guesses:
        prompt = html.escape(h.next_prompt[-24:]).replace("\n", '<span style="color:#64748B">↵</span>')
        st.markdown("##### Next letter", help="The model's top guesses for the character after the text in the box. "
                    "As it learns, one guess grows sure.")
        st.html(f'<div style="font-family: ui-monospace, monospace; color:#CBD5E1; font-size:0.95rem;">'
                f'<div style="background:#1E293B; padding:0.2rem 0.5rem; border-radius:6px; white-space:pre-wrap;">'
                f'{prompt}<span style="color:#3B82F6">▌</span></div></div>')
        # A bar a line of its labels tall (15 px text, 1.6x on a projector), so that none overlap.
        bars = shown.next_token[:6]
        st.vega_lite_chart(spec=next_token_chart(bars, height=int(len(bars) * (15 * scale + 16) + 40),
                                                 font_scale=scale),
                           width="stretch", key=f"{page}_next")

    st.markdown("##### What the model writes", help="One sample per checkpoint, newest first. Click a point "
                "on the loss curve to see the output at that stage.")
    rows = [{"step": c.step, "val_loss": c.val_loss, "sample": c.sample} for c in reversed(h.checkpoints)]
    if selected is not None:
        # The clicked checkpoint first, so it is in view whatever its place in the list.
        st.caption(f"Selected on the chart: step {selected:,} (click the chart's background to clear)")
        st.html(progression_html([r for r in rows if r["step"] == selected], h.words, selected, animate=False, legend=False))
    st.html(progression_html(rows, h.words, selected))
