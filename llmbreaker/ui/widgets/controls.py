"""Play / Pause / Step / Stop / Speed for one training session, and its progress line."""
from __future__ import annotations

import html
from typing import Callable

import streamlit as st

from llmbreaker.engine.errors import UserInputError
from llmbreaker.engine.session import RUN_SECONDS_AT_1X, SPEEDS, State, TrainingRequest, TrainingSession

STATE_WORDS = {
    State.IDLE: "ready", State.WAITING: "waiting for a free trainer", State.PREPARING: "preparing the model",
    State.RUNNING: "training", State.PAUSED: "paused", State.STOPPED: "stopped", State.COMPLETED: "completed",
    State.ERROR: "error",
}
AWAY_WORDS = "paused while this page was away · press Resume to go on"

# A presenter's keys (Streamlit's button shortcuts: they never fire while the person types in a
# text box). Space plays or pauses; Right is "next": one training step (while training: pause, then
# one step). The sidebar lists them (KEYS_HELP).
PLAY_KEY, STEP_KEY = "Space", "Right"
# Step waits this long at most for its step, so that the page's rerun (a paused page does not poll)
# draws it: without the wait, the rerun often drew before the step and the page kept showing the last.
STEP_WAIT_SECONDS = 2.0
KEYS_HELP = ("**Space** plays and pauses the run of the page, **→** runs one step (while training, it "
             "pauses first). They work anywhere on the page but in a text box.")


def _times(factor: float) -> str:
    """2 -> "half", 4 -> "a quarter", 10 -> "a tenth": the share of the time a speed takes."""
    return {2: "half", 4: "a quarter", 5: "a fifth", 10: "a tenth"}.get(factor, f"1/{factor:g}")


FASTER = "the same steps in {share} of the time, where this computer can go that fast."


def speed_help(one_x: str | None = None, speeds: dict[str, float | None] = SPEEDS, faster: str = FASTER) -> str:
    """What each speed means, one line each, from the speeds themselves (so a new speed explains
    itself). `one_x`: what 1x means where it is not the fitted run of the dataset pages; `faster`:
    what a speed above 1x does, its {share} of the time filled in."""
    lines = []
    for label, factor in speeds.items():
        if factor is None:
            lines.append(f"**{label}**: unpaced, as fast as this computer can go.")
        elif factor < 1:
            lines.append(f"**{label}**: slow motion for explaining: the same run, {1 / factor:g} times slower.")
        elif factor == 1:
            lines.append(f"**{label}**: " + (one_x or (
                f"a run fitted to {RUN_SECONDS_AT_1X:.0f} s lasts {RUN_SECONDS_AT_1X:.0f} s on any computer (a "
                "slower one trains fewer steps; the whole schedule still runs); a fixed number of steps goes "
                "at the default run's pace.")))
        else:
            lines.append(f"**{label}**: " + faster.format(share=_times(factor)))
    return "\n".join(f"- {line}" for line in lines)


def slow_words(speed: str) -> str:
    """The progress line's note at a slow speed: its clock counts training, which goes slower."""
    factor = SPEEDS.get(speed)
    return f" · slow motion, {1 / factor:g}x slower" if factor is not None and factor < 1 else ""


def starting_note(session: TrainingSession, text: str) -> None:
    """The note a page shows before its run's first checkpoint, but not while the run waits in
    line: then the progress line's "waiting for a free trainer (N in line)" is the whole truth, and
    a note that the model is being prepared would contradict it."""
    if session.state != State.WAITING:
        st.info(text, icon=":material/hourglass_top:")


def _start(session: TrainingSession, make_request: Callable[[], TrainingRequest], page: str,
           fold: str | None = None) -> None:
    try:
        session.play(make_request())
        st.session_state.pop(f"{page}_play_error", None)
        if fold:  # the settings fold away: the live pictures take the screen
            st.session_state[fold] = False
    except UserInputError as e:
        st.session_state[f"{page}_play_error"] = e.message


def training_controls(session: TrainingSession, make_request: Callable[[], TrainingRequest] | None, page: str,
                      default_speed: str = "1x", fold: str | None = None) -> None:
    """The control bar, in one row. `make_request` builds the run from the page's current choices
    (None while nothing can be trained yet). The speed control is bound to the page's link; its
    default is fixed per page (a link drops a value equal to the default, so the default must not
    follow the run). `fold`: the session key of the page's folding text and settings (inputs.setup_fold):
    Play folds them, and a switch at the end of the row shows them again."""
    state = session.state
    bar = st.container(key=f"{page}_lbcontrols")  # its labels a size smaller in workshop mode (ui/common.py)
    if fold:  # a page's whole width: one row
        # The speeds' column holds all seven at a projector's 1280 px beside the sidebar, in workshop mode.
        c_play, c_step, c_stop, c_speed, *c_fold = bar.columns([1.2, 1, 1, 2.8, 1.3], vertical_alignment="bottom")
    else:  # a column of its page (the Style page's): the speeds under the buttons
        c_play, c_step, c_stop = bar.columns(3, vertical_alignment="bottom")
        c_speed, c_fold = bar.container(), []
    with c_play:
        if state in (State.RUNNING, State.WAITING, State.PREPARING):
            st.button("Pause", icon=":material/pause:", key=f"{page}_pause", on_click=session.pause, width="stretch",
                      shortcut=PLAY_KEY, help="Pause training. While paused, Step runs one update at a time. Key: Space.")
        elif state == State.PAUSED:
            st.button("Resume", icon=":material/play_arrow:", key=f"{page}_resume", on_click=session.resume, type="primary", width="stretch",
                      shortcut=PLAY_KEY, help="Continue training from where it paused. Key: Space.")
        else:
            again = state in (State.COMPLETED, State.STOPPED, State.ERROR)
            st.button("Replay" if again else "Play", icon=":material/replay:" if again else ":material/play_arrow:",
                      key=f"{page}_play", type="primary", width="stretch", shortcut=PLAY_KEY,
                      disabled=make_request is None, on_click=_start, args=(session, make_request, page, fold),
                      help="Start training from scratch. Key: Space.")
    c_step.button("Step", icon=":material/skip_next:", key=f"{page}_step", on_click=session.step_once,
                  kwargs={"wait": STEP_WAIT_SECONDS},
                  disabled=state not in (State.RUNNING, State.PAUSED), width="stretch", shortcut=STEP_KEY,
                  help="Run exactly one training step and show it. While training: pause, then one step. Key: → (right arrow).")
    c_stop.button("Stop", icon=":material/stop:", key=f"{page}_stop", on_click=session.stop, disabled=not session.active,
                  width="stretch", help="End this run. Play starts a new one from scratch.")
    if c_fold:
        c_fold[0].toggle("Settings", key=fold, help="Show or hide the text and the training settings. Play hides "
                         "them, so that the live pictures fit the first screen (a projector's, say).")
    speed = c_speed.segmented_control(
        "Speed", list(SPEEDS), default=default_speed, key=f"{page}_speed", required=True, bind="query-params",
        help=speed_help())
    if speed and speed != session.speed:  # the widget (or the page's link) says what the person wants
        session.set_speed(speed)
    error = st.session_state.get(f"{page}_play_error")
    if error:
        st.error(error, icon=":material/warning:")


def progress_line(session: TrainingSession) -> None:
    """`step/total` with the state, as a progress bar."""
    if session.read_only:
        return recorded_progress(session)
    h = session.history
    state = session.state
    if state == State.IDLE and h.total_steps == 0:  # nothing has run yet: no "Step 0 / 0"
        st.progress(0.0, text="Ready · press Play to start training")
        return
    total = max(1, h.total_steps)
    words = AWAY_WORDS if state == State.PAUSED and session.away else STATE_WORDS[state]
    if state == State.WAITING:
        pos = session.queue_position()
        if pos:
            words += f" ({pos} in line)"
    fit = session.request.train.fit_seconds if session.request else 0
    if fit and state in (State.RUNNING, State.PAUSED):  # a run fitted to its seconds says them
        words += f" · {session.training_seconds():.0f} s of {fit:.0f}"
    if state == State.RUNNING:
        words += slow_words(session.speed)
    done = state == State.COMPLETED
    if done and h.seconds is not None:
        words += f" in {h.seconds:.1f} s"
    if done and h.stopped_early and session.request:
        words += f" (stopped early: no better checkpoint in the last {session.request.train.patience})"
    st.progress(1.0 if done else min(1.0, h.step / total), text=f"Step {h.step:,} / {h.total_steps:,} · {words}")


def recorded_progress(rec) -> None:
    """The progress line of a recording (llmbreaker/engine/replay.py): how far the replay is, and how the
    run ended: "interrupted at step N" when the server stopped while it trained."""
    h, run = rec.history, rec.current
    total = max(1, h.total_steps)
    of_runs = f"run {rec.run_id} of {len(rec.runs)} · " if len(rec.runs) > 1 else ""
    if rec.following:
        words = "training elsewhere: you are watching it live, read-only"
    elif rec.state in (State.RUNNING, State.PAUSED):
        shown, whole = rec.seconds_shown()
        words = (f"replay {'paused' if rec.state == State.PAUSED else 'at ' + rec.speed} · "
                 f"{shown:.0f} s of {whole:.0f} s recorded")
    elif run.state == "completed":
        words = "completed" + (f" in {run.seconds:.1f} s" if run.seconds is not None else "")
    elif run.state in ("running", "interrupted"):
        words = f"interrupted at step {run.step:,} (the server stopped while it trained)"
    elif run.state == "stopped":
        words = f"stopped at step {run.step:,}"
    else:
        words = "ended with an error"
    done = rec.state not in (State.RUNNING, State.PAUSED) and run.state == "completed"
    st.progress(1.0 if done else min(1.0, h.step / total),
                text=f"{of_runs}Step {h.step:,} / {h.total_steps:,} · {words}")


def state_badge(state: State) -> str:
    return f'<span class="lb-state {state.value}">{html.escape(STATE_WORDS[state])}</span>'


GOING = (State.WAITING, State.PREPARING, State.RUNNING)
START_POLL_SECONDS = 0.1  # how often a page looks for its run's first points, just after Play


def control_phase(state: State) -> str:
    """What the control bar shows for a state: waiting in line, preparing and training all show
    Pause (and the progress line, inside the live fragment, says which), so moving between them
    needs no rerun of the whole page: those reruns were most of the wait for the first loss point."""
    return "going" if state in GOING else state.value


def starting(session: TrainingSession) -> bool:
    """A run just started and nothing of it is drawn yet: its page polls every START_POLL_SECONDS."""
    return session.active and not session.history.checkpoints


# How often a page looks at a paused run. Nothing changes while paused but by a click (Step and
# Resume rerun the page and wait for their step: session.step_once), so the page only keeps the run
# alive (session.touch) and sees a state changed elsewhere. At the live rate a paused page redrew
# all its pictures several times a second, on the server and in the browser, for nothing: on a
# busy machine the Cinema's four heatmaps every 0.25 s never let the page hold still.
PAUSED_POLL_SECONDS = 1.0


def poll_seconds_for(sessions: tuple[TrainingSession, ...], live_seconds: float) -> float | None:
    """A live page's tick: none while nothing is active, slow while every active run is paused
    (one paused before its first checkpoint too: it polled ten times a second for as long as it
    stayed paused), fast while a run starts, else `live_seconds`."""
    active = [s for s in sessions if s.active]
    if not active:
        return None
    if all(s.state == State.PAUSED for s in active):
        return max(live_seconds, PAUSED_POLL_SECONDS)
    if any(starting(s) for s in active):
        return min(live_seconds, START_POLL_SECONDS)
    return live_seconds


FIRST_POINTS_WAIT = 0.4  # seconds a page run just after Play waits for the run's first losses


def await_first_points(session: TrainingSession) -> None:
    """In the run of the whole page that Play causes, wait (a few tenths of a second at most) for
    the run's first losses, so that this run draws them: otherwise they wait for the fragment's
    next tick and its redraw, which was about half of the wait between Play and the first point
    (bench/latency.py). Not for a run waiting in line: its first points may be minutes away."""
    if session.read_only:  # a recording (llmbreaker/engine/replay.py) has its points already
        return
    if starting(session) and not session.history.steps and not session.queue_position():
        session.wait_for_first_points(FIRST_POINTS_WAIT)


def follow_run(session: TrainingSession, page: str, extra: tuple = ()) -> tuple | None:
    """Called at each tick of a page's live fragment: drains the session's events and keeps its
    page alive. Returns what was seen at the previous tick when the run, what its controls show,
    whether it is starting, or `extra` changed since (else None), so the page can rerun to bring
    its controls (and its polling interval) up to date."""
    session.touch()
    session.snapshot()
    now = (session.run_id, control_phase(session.state), starting(session), *extra)
    seen = st.session_state.get(f"{page}_seen")
    st.session_state[f"{page}_seen"] = now
    return seen if seen is not None and seen != now else None


def live_fragment(session: TrainingSession, page: str, draw: Callable[[], None], poll_seconds: float,
                  also: tuple[TrainingSession, ...] = ()) -> None:
    """A page's live part: a fragment that polls while the session (or one of `also`, sessions
    that train beside it, such as the Style page's from-scratch half of a comparison) is active.
    Each tick drains the session's events, reruns the whole page when the run, its state, or the
    queue's current run changed (so the controls above follow), and draws from the history."""
    def others() -> tuple:
        for other in also:
            other.touch()
            other.snapshot()
        return tuple((s.run_id, control_phase(s.state)) for s in also)

    # This is a run of the whole page, which draws the controls as they are now: what it draws is
    # what the fragment's ticks compare with (a tick right after Play would otherwise rerun the page
    # a second time for the run it has just drawn).
    await_first_points(session)
    follow_run(session, page, others())

    @st.fragment(run_every=poll_seconds_for((session, *also), poll_seconds))
    def _live() -> None:
        changed = follow_run(session, page, others())
        # Draw first, then rerun the page for its controls and tick rate: the tick that brings a
        # run's first points also ends its "starting" phase, and a rerun before the draw made the
        # first point wait for a run of the whole page (bench/latency.py: 0.86 s against 0.41 s).
        draw()
        if changed:
            st.rerun()

    _live()
