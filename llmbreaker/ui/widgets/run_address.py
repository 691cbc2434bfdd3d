"""The run in the address: `?run=<token>` on every page that trains.

Each page that keeps its runs calls `shown_session(page, session)` before it draws its settings:
- this tab's own run: the address follows it (a reload comes back to it), with one line saying who
  can open the address;
- the address names a run this browser is training (a reloaded tab): the tab rejoins it, controls
  and all;
- the address names anyone else's run, or a finished one: a `Recording` of it (llmbreaker/engine/replay.py)
  that the page draws read-only with its own live view, with replay controls and "Train your own
  copy";
- a wrong, expired or removed address, a private run, or a store that cannot be read: a clear
  message and a way on; the page then stops (returns None).

The token is a capability: nothing lists runs to other people (llmbreaker/engine/store/db.py makes it
unguessable), so the page says in one line that anyone with the address can view the run.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

import streamlit as st

from llmbreaker.engine.replay import REPLAY_SPEEDS, Recording
from llmbreaker.engine.session import State, TrainingRequest, TrainingSession
from llmbreaker.engine.store.db import StoreError
from llmbreaker.ui.shell import browser_session_id, get_manager
from llmbreaker.ui.widgets.browser_id import browser_key, owner_id
from llmbreaker.ui.widgets.controls import PLAY_KEY, STEP_KEY, speed_help

SHARE_LINE = "Anyone with this page's address can view this run (read-only); it is never listed for others."
PRIVATE_LINE = ("Private: this run is not kept. A reload finds it while this server runs; nobody else can open "
                "its address.")
CACHE_SECONDS = 30.0  # a finished series read once serves every viewer opening it meanwhile
CACHE_RUNS = 16

_OTHER_PAGE = object()  # what _recording returns for a run that another page trained
_cache: dict[str, tuple[float, list]] = {}
_cache_lock = threading.Lock()


def _load_series(token: str) -> list:
    """The series named by `token` (its first run's token, or any run's own token), read through a
    short process-wide cache: a class of thirty opening one link reads the database once. Runs still
    training are never cached (they change). Raises StoreError."""
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(token)
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    store = get_manager().store
    runs = store.load_series(token)
    if not runs:
        one = store.load_run(token)
        if one is not None and getattr(one, "series", "") and one.series != token:
            runs = store.load_series(one.series)
        elif one is not None:
            runs = [one]
    if runs and all(r.state != "running" for r in runs):
        with _cache_lock:
            _cache[token] = (now, runs)
            for old in sorted(_cache, key=lambda k: _cache[k][0])[:-CACHE_RUNS]:
                del _cache[old]
    return runs


def forget_cached(token: str) -> None:
    """After a rename or delete: the next viewer reads the store again."""
    with _cache_lock:
        _cache.pop(token, None)


def shown_session(page: str, session: TrainingSession, on_copy: Callable[[TrainingRequest], None] | None = None):
    """What the page shows: `session` (or the live run this browser rejoins), a read-only
    Recording, or None when the address cannot be shown (a message is on the page)."""
    manager = get_manager()
    session.store_runs = True
    key = browser_key()
    session.browser_key = key or session.browser_key
    session.store_owner = owner_id(key) if key else session.store_owner
    token = st.query_params.get("run", "")
    # This tab's own earlier run, just replaced by a new one (a button's callback started it before
    # this script run): the address follows the new run.
    replaced = token == st.session_state.get(f"{page}_own_run")
    live = manager.session_by_token(token) if token else None
    if live is not None and live.page != session.page:
        token = ""  # another page's run, its address carried over: this page shows its own
        st.query_params.pop("run", None)
    if token and token not in (session.run_token, session.series_token) and not replaced:
        if (live is not None and key and live.browser_key == key and live is not session
                and manager.adopt(live, browser_session_id())):
            session = live  # the same browser, reloaded: its run, with its controls
        elif live is not None and live.private and live is not session:
            _dead_end(page, "This run is private: it is shown only to the person who trained it, and is not kept.",
                      ":material/lock:")
            return None
        else:
            shown = _recording(page, token, session, on_copy)
            if shown is not _OTHER_PAGE:
                return shown
            st.query_params.pop("run", None)  # a stored run of another page: this page shows its own
    watching = st.session_state.get(f"{page}_watch_again")
    if watching and watching == session.series_token and not session.active:
        return _recording(page, watching, session, on_copy, mine=True)
    st.session_state.pop(f"{page}_watch_again", None)
    _address_follows(page, session)
    _own_run_line(page, session)
    return session


def _address_follows(page: str, session: TrainingSession) -> None:
    """When this tab starts a run (Play, Replay, a copy), the address names it; so it does when the
    page is opened without one (the sidebar's link) while this tab has a run. A comparison's
    address names its first run: one address opens all of its runs."""
    token = session.series_token or session.run_token
    seen_key = f"{page}_own_run"
    if token and (token != st.session_state.get(seen_key) or st.query_params.get("run") != token):
        st.session_state[seen_key] = token
        st.query_params["run"] = token


def _own_run_line(page: str, session: TrainingSession) -> None:
    store = get_manager().store
    if not session.run_token:
        return
    if session.private:
        st.caption(f":material/lock: {PRIVATE_LINE}")
        return
    if not store.available:
        st.caption(f":material/cloud_off: {store.problem} Training works; this run will not open again from its "
                   "address.")
        return
    ended = session.state in (State.COMPLETED, State.STOPPED) and session.history.checkpoints
    line, button = st.columns([4, 1], vertical_alignment="center") if ended else (st.container(), None)
    line = line.container(key="lb_address_note")  # kept small in workshop mode (ui/common.py's CSS)
    line.caption(f":material/link: This run's address opens it again after a reload or a server restart. {SHARE_LINE}")
    if button is not None:
        button.button("Watch it again", icon=":material/slow_motion_video:", key=f"{page}_watch_again_button",
                      on_click=_watch_again, args=(page, session), width="stretch",
                      help="Play the recorded run back from step 0, at the pace it trained (or faster). "
                           "Nothing trains: this is how a class watches one run together.")


def _watch_again(page: str, session: TrainingSession) -> None:
    store = get_manager().store
    store.flush(5.0)  # its last checkpoint and end are written before it is read back
    st.session_state[f"{page}_watch_again"] = session.series_token
    st.session_state[f"{page}_recording_autoplay"] = True


def _leave_run(page: str) -> None:
    st.query_params.pop("run", None)
    st.session_state.pop(f"{page}_watch_again", None)
    st.session_state.pop(f"{page}_recording", None)


def _dead_end(page: str, message: str, icon: str) -> None:
    st.warning(message, icon=icon)
    st.button("Train a new run", key=f"{page}_leave_run", on_click=_leave_run, args=(page,), type="primary",
              help="Open this page without the run's address, to choose a text and press Play.")


def _recording(page: str, token: str, session: TrainingSession, on_copy, mine: bool = False):
    """The banner, the replay controls and the Recording of the run at `token` (None: a message)."""
    manager = get_manager()
    held = st.session_state.get(f"{page}_recording")
    recording = held if isinstance(held, Recording) and held.token == token else None
    if recording is None:
        store = manager.store
        try:
            runs = _load_series(token)
        except StoreError as e:
            _dead_end(page, f"{e} You can train a new run meanwhile.", ":material/cloud_off:")
            return None
        if not runs:
            days = store.max_age / 86400
            _dead_end(page, "There is no run at this address. Check that the whole address was copied; runs are "
                      f"kept {days:g} days, the oldest go first when the store is full, and a private run is "
                      "never kept.", ":material/link_off:")
            return None
        if runs[0].page != page:
            return _OTHER_PAGE
        # Trained here, or (a store that replicas share) by another replica that still writes it. An
        # SQLite file has one server: a run it says is running, that this server does not train, was
        # cut off when the server stopped.
        shared = not store.url.startswith("sqlite")
        live = (any(getattr(manager.session_by_token(r.token), "active", False) for r in runs)
                or (shared and Recording.live_elsewhere(runs[-1])))
        recording = Recording(runs, follow=(lambda: manager.store.load_series(token) or runs) if live else None)
        st.session_state[f"{page}_recording"] = recording
    if st.session_state.pop(f"{page}_recording_autoplay", False):
        recording.play()
    _banner(page, recording, session, on_copy, mine)
    return recording


def _banner(page: str, rec: Recording, session: TrainingSession, on_copy, mine: bool) -> None:
    run = rec.runs[0]
    name = run.title if getattr(run, "title", "") else run.label
    if name == "your text":  # the Style page's label, written for the person who pasted it
        name = "their own writing" if not mine else "your text"
    count = f" ({len(rec.runs)} runs)" if len(rec.runs) > 1 else ""
    if mine:
        st.info(f"Playing back your run on **{name}**{count}: nothing trains, the recording unfolds at the pace "
                "it was trained.", icon=":material/slow_motion_video:")
    elif rec.following:
        st.info(f"You are watching a run on **{name}**{count} live, read-only, as it trains. {SHARE_LINE}",
                icon=":material/visibility:")
    else:
        st.info(f"You are viewing a run trained on **{name}**{count}. Press **Replay** to watch it learn again. "
                f"{SHARE_LINE}", icon=":material/visibility:")
    c1, c2 = st.columns(2)
    if mine:
        c1.button("Back to your run", key=f"{page}_back_to_run", type="primary", width="stretch",
                  icon=":material/arrow_back:", on_click=st.session_state.pop, args=(f"{page}_watch_again", None))
    else:
        c1.button("Train your own copy", key=f"{page}_copy_run", type="primary", width="stretch",
                  icon=":material/content_copy:", on_click=_train_copy, args=(page, session, rec, on_copy),
                  help="Start a fresh run on the same text with the same settings, in this tab: yours to control.")
        c2.button("Train something else", key=f"{page}_leave_run", width="stretch", on_click=_leave_run, args=(page,),
                  help="Choose your own text and settings.")
    error = st.session_state.get(f"{page}_copy_error")
    if error:
        st.error(error, icon=":material/warning:")
    if not rec.following:
        replay_controls(page, rec)


def replay_controls(page: str, rec: Recording) -> None:
    """Replay / Pause / Step / End and the replay's speed: the training controls' twins, for a
    recording (nothing trains)."""
    playing = rec.state == State.RUNNING
    bar = st.container(key=f"{page}_rec_lbcontrols")  # a control bar: the keys' focus stays in it (ui/common.py)
    c1, c2, c3 = bar.columns(3, vertical_alignment="bottom")
    if playing:
        c1.button("Pause", icon=":material/pause:", key=f"{page}_rec_pause", on_click=rec.pause, width="stretch",
                  shortcut=PLAY_KEY, help="Pause the replay. While paused, Step moves on to the next recorded checkpoint. Key: Space.")
    elif rec.state == State.PAUSED:
        c1.button("Resume", icon=":material/play_arrow:", key=f"{page}_rec_resume", on_click=rec.resume,
                  type="primary", width="stretch", shortcut=PLAY_KEY, help="Go on with the replay. Key: Space.")
    else:
        c1.button("Replay", icon=":material/replay:", key=f"{page}_rec_play", on_click=rec.play, type="primary",
                  width="stretch", shortcut=PLAY_KEY, help="Watch the recorded run learn again from step 0. Nothing trains. Key: Space.")
    c2.button("Step", icon=":material/skip_next:", key=f"{page}_rec_step", on_click=rec.step_once,
              disabled=rec.state not in (State.RUNNING, State.PAUSED), width="stretch", shortcut=STEP_KEY,
              help="On to the next recorded checkpoint. While the replay plays: pause there. Key: → (right arrow).")
    c3.button("End", icon=":material/last_page:", key=f"{page}_rec_end", on_click=rec.stop,
              disabled=rec.state not in (State.RUNNING, State.PAUSED), width="stretch",
              help="Show the whole run, as it ended.")
    fast = {label: factor for label, factor in REPLAY_SPEEDS.items() if label != "max"}
    speed = bar.segmented_control(
        "Replay speed", list(REPLAY_SPEEDS), default="1x", key=f"{page}_rec_speed", required=True,
        help=speed_help(one_x="the pace it was trained at.", speeds=fast, faster="the same run in {share} of the time.")
        + f"\n- **max**: {REPLAY_SPEEDS['max']:g}x, still every checkpoint.")
    if speed and speed != rec.speed:
        rec.set_speed(speed)


def _train_copy(page: str, session: TrainingSession, rec: Recording, on_copy) -> None:
    """"Train your own copy": fresh runs of the stored requests in this tab (a comparison's every
    run, queued), so the controls and a later Replay say what is training."""
    st.session_state.pop(f"{page}_copy_error", None)
    requests = [line.whole.request for line in rec.lines]
    if any(r is None for r in requests):
        st.session_state[f"{page}_copy_error"] = ("The copy could not start: this run's settings cannot be read by "
                                                  "this version of the app. Choose a text and press Play instead.")
        return
    try:
        session.clear_runs()
        session.play(requests[0])
        for request in requests[1:]:
            session.enqueue(request)
    except Exception as e:  # UserInputError and the like carry a message for people
        st.session_state[f"{page}_copy_error"] = getattr(e, "message", None) or (
            f"The copy could not start: {e} Choose a text and press Play instead.")
        return
    st.session_state.pop(f"{page}_recording", None)
    st.query_params.pop("run", None)  # the page's next run follows the address to the copy
    if on_copy is not None:
        on_copy(requests[0])
