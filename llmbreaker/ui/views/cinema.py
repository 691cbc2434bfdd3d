"""Attention Evolution Cinema: every head's real attention, checkpoint by checkpoint, as a film.

The live part is a fragment that ticks while the run is active or the film auto-plays. The frame
shown is a training step: exactly a checkpoint's attention at a checkpoint, a linear blend of the
two neighbouring checkpoints in between.
"""
from __future__ import annotations

import functools
import html
import time

import numpy as np
import streamlit as st

from llmbreaker.charts.training import (attention_deck, detail_below, entropy_chart, heat_legend_html, heatmap,
                                        heatmap_svg, visible_char)
from llmbreaker.engine.session import TrainingSession
from llmbreaker.lessons import attention as attn
from llmbreaker.ui.shell import font_scale, page_header, page_session
from llmbreaker.ui.widgets.controls import follow_run, poll_seconds_for, progress_line, starting_note
from llmbreaker.ui.widgets.inputs import dataset_run_setup
from llmbreaker.ui.widgets.run_address import shown_session
from llmbreaker.ui.widgets.webgl import webgl_available

PAGE = "cinema"
PACES = {"slow": 1.0, "normal": 0.5, "fast": 0.25}  # seconds per frame of the auto-play
FRAMES_PER_CHECKPOINT = 5  # the scrubber moves in fifths of a checkpoint interval
LIVE_POLL = 0.25  # a new checkpoint waits for the next tick, 0.125 s on average (docs/design.md §Demo: within 0.5 s)
DETAIL_BOX = "cinema_detail_box"  # the Detail heatmap's box: its size follows the column (_detail)


def view() -> None:
    """This tab's run with its settings and controls, or the run the address names (?run=),
    read-only; the film below."""
    page_header("Attention Evolution Cinema", "Each head of the model decides which earlier characters to look at. "
                "Press Play and watch those choices turn from noise into patterns.", page=PAGE)
    session = page_session(PAGE)

    def probe_setting(model_cfg):
        block = model_cfg.block_size if model_cfg else 64
        return {"probe_text": probe_picker(PAGE, block, disabled=session.active)}

    shown = shown_session(PAGE, session)  # this tab's run, or the run the address names (?run=), read-only
    if shown is None:
        return
    if shown.read_only:
        model = shown.request.model if shown.request else None
        shape = (model.n_layer, model.n_head) if model else (2, 2)
    else:
        model_cfg, _ = dataset_run_setup(PAGE, shown, probe_setting)
        shape = (model_cfg.n_layer, model_cfg.n_head) if model_cfg else (2, 2)
    live_view(shown, PAGE, idle_shape=shape, font_scale=font_scale())


def probe_picker(page: str, block_size: int, disabled: bool) -> str:
    """Before training: which text the attention is taken on, fixed for the whole run."""
    choice = st.radio(
        "Attention is shown on", ["passage", "own"], horizontal=True, key=f"{page}_probe_kind", disabled=disabled,
        format_func={"passage": "a passage of the validation text", "own": "my own short text"}.get,
        help="Every frame of the film is the model's attention on this same text, so frames can be compared.",
    )
    if choice == "passage":
        return ""
    text = st.text_input("Your text (up to one block of characters)", value="To be, or not to be, that is the question",
                         key=f"{page}_probe_text", disabled=disabled, max_chars=400,
                         help=f"The model sees at most {block_size} characters at once; longer text is cut.")
    if len(text) > block_size:
        st.caption(f"Only the first {block_size} characters are used: the model's block is {block_size} characters long.")
    return text


def _frame_state(page: str):
    return st.session_state.setdefault(f"{page}_film", {"follow": True, "autoplay": False})


def film_controls(page: str, session: TrainingSession) -> None:
    """Auto-play and its pace, under the timeline. Starting, stopping or pacing the film reruns the
    whole page (needs_rerun, read by _draw), so that the fragment's tick rate follows."""
    playback = _frame_state(page)

    def toggle():
        playback["autoplay"] = not playback["autoplay"]
        playback["needs_rerun"] = True
        if playback["autoplay"]:
            playback.update(follow=False, step=0.0, advanced_at=time.monotonic())  # a film starts at the beginning

    c1, c2 = st.columns([1, 1.3], vertical_alignment="bottom")
    c1.button("Pause film" if playback["autoplay"] else "Play film",
              icon=":material/pause_circle:" if playback["autoplay"] else ":material/movie:",
              key=f"{page}_autoplay", on_click=toggle, disabled=not session.history.checkpoints, width="stretch",
              help="Auto-play: step through the recorded checkpoints from step 0, with blended frames between "
                   "them, at the pace you choose. Works while training goes on and after it ends.")
    c2.segmented_control("Film pace", list(PACES), default="normal", key=f"{page}_pace", required=True,
                         on_change=playback.update, kwargs={"needs_rerun": True},
                         help="Seconds per frame: slow 1 s, normal 0.5 s, fast 0.25 s.")


def live_view(session: TrainingSession, page: str, idle_shape: tuple[int, int] = (2, 2), font_scale: float = 1.0) -> None:
    """One fragment that follows the run and draws the film: it ticks every LIVE_POLL seconds while the
    run trains, once a second while it is paused (controls.poll_seconds_for), and at the auto-play
    pace while the film plays. A new checkpoint is drawn by the next tick, with no rerun of the whole
    page (that rerun, once per checkpoint, made the wait between a checkpoint and its heatmaps); between
    checkpoints a tick draws the same pictures again, which costs little (a heatmap's data is three
    numbers a cell) and which the browser already has."""
    playback = _frame_state(page)
    pace = PACES[st.session_state.get(f"{page}_pace") or "normal"]
    follow_run(session, page)  # this run of the whole page draws the controls as they are now
    ticks = [t for t in (poll_seconds_for((session,), LIVE_POLL), pace if playback["autoplay"] else None)
             if t is not None]

    @st.fragment(run_every=min(ticks) if ticks else None)
    def _live() -> None:
        seen = follow_run(session, page)
        if seen is not None and seen[0] != session.run_id:
            playback.update(follow=True, step=0.0)
        h = session.history
        progress_line(session)
        if h.message:
            st.error(f"{h.message} Your text and settings are kept: press Replay to try again.", icon=":material/warning:")
        _draw(session, page, playback, font_scale, idle_shape, pace)
        if seen is not None:  # after the draw, so that a run's first heatmaps wait for no page rerun
            st.rerun()  # a new run or state: the controls and the tick rate follow

    _live()


def _advance(playback: dict, steps: list[int], interval: int, active: bool, pace: float) -> None:
    """One auto-play frame forward, once per `pace` seconds (the fragment may tick faster, to follow
    the run); at the last checkpoint, wait for more or stop."""
    now = time.monotonic()
    if now - playback.get("advanced_at", 0.0) < pace * 0.9:
        return
    playback["advanced_at"] = now
    frame = max(1, interval // FRAMES_PER_CHECKPOINT)
    nxt = playback.get("step", 0.0) + frame
    if nxt >= steps[-1]:
        playback["step"] = float(steps[-1])
        if not active:
            playback["autoplay"] = False
            st.rerun()  # the film ended: the Play film button and the tick rate follow
    else:
        playback["step"] = float(nxt)


def _stop_film(playback: dict) -> None:
    """A person's own scrubbing stops the auto-play; the next draw reruns the page for the button."""
    if playback["autoplay"]:
        playback.update(autoplay=False, needs_rerun=True)


def _draw(session: TrainingSession, page: str, playback: dict, font_scale: float, idle_shape: tuple[int, int],
          pace: float) -> None:
    if playback.pop("needs_rerun", False):
        st.rerun()
    h = session.history
    n_layer, n_head = idle_shape
    if session.active and session.request:
        n_layer, n_head = session.request.model.n_layer, session.request.model.n_head
    if not h.checkpoints:
        if session.active:
            starting_note(session, "Taking the first snapshot of attention (step 0)…")
        else:
            st.info("Press **Play**: at step 0 every head looks almost evenly at everything before it (a pale, "
                    "washed-out triangle). Watch patterns appear as the model learns.", icon=":material/lightbulb:")
        tokens = h.probe_tokens or list("the attention appears here")
        _grid(np.zeros((n_layer, n_head, len(tokens), len(tokens)), dtype=np.float32), tokens, page, font_scale, idle=True)
        return

    film = attn.Film.of(h.checkpoints, h.probe_tokens)
    steps = film.steps
    interval = session.request.train.eval_interval if session.request else max(1, steps[-1])
    if playback["autoplay"]:
        _advance(playback, steps, interval, session.active, pace)
    elif playback["follow"]:
        playback["step"] = float(steps[-1])
    step = float(min(playback.get("step", steps[-1]), steps[-1]))

    frame = film.frame(step)
    tokens = film.tokens
    # The pictures first, just under the controls (a projector's first screen); the timeline and
    # the film's own controls under them.
    heading, view = st.columns([3, 2], vertical_alignment="bottom")
    heading.markdown(f"#### {_step_words(step, steps)}")
    st.session_state.setdefault(f"{page}_mode", "Overview")  # set here, not as a default: Open sets it too
    mode = view.segmented_control(
        "View", ["Overview", "Detail", "3D"], key=f"{page}_mode", required=True,
        help="Overview: every layer and head. Detail: one head, large, with characters on the axes. 3D: the same "
             "head as columns you can turn.")
    pictures = st.container()
    _timeline(page, playback, steps, interval, step)
    film_controls(page, session)
    with pictures:
        _pictures(page, mode, frame, tokens, step, font_scale)
    _reading_aids(film, step, font_scale)
    _exports(page, film, frame, step, session)


def _pictures(page: str, mode: str, frame: np.ndarray, tokens: list[str], step: float, font_scale: float) -> None:
    if mode == "Overview":
        _grid(frame, tokens, page, font_scale)
    else:
        layer, head = _head_selectors(page, frame.shape[0], frame.shape[1])
        if mode == "Detail":
            _detail(frame[layer, head], tokens, layer, head, step, font_scale)
        else:
            _three_d(frame[layer, head], tokens, page, layer, head, step)


def _step_words(step: float, steps: list[int]) -> str:
    s = int(round(step))
    if s in steps:
        return f"Step {s:,} · checkpoint {steps.index(s) + 1} of {len(steps)}"
    before = max(x for x in steps if x <= s)
    after = min(x for x in steps if x >= s)
    return f"Step {s:,} · blend of checkpoints at steps {before:,} and {after:,}"


def _timeline(page: str, playback: dict, steps: list[int], interval: int, step: float) -> None:
    key = f"{page}_scrub"
    frame = max(1, interval // FRAMES_PER_CHECKPOINT)
    last = steps[-1]

    def on_scrub():
        value = st.session_state[key]
        # Snap to a checkpoint when within a tenth of an interval of it.
        nearest = min(steps, key=lambda s: abs(s - value))
        if abs(nearest - value) <= max(1, interval // 10):
            value = nearest
        _stop_film(playback)
        playback.update(step=float(value), follow=value >= last)

    def jump(direction: int):
        current = playback.get("step", last)
        if direction < 0:
            target = max([s for s in steps if s < current], default=steps[0])
        else:
            target = min([s for s in steps if s > current], default=last)
        _stop_film(playback)
        playback.update(step=float(target), follow=target >= last)

    c_prev, c_slider, c_next = st.columns([1.4, 7, 1.4], vertical_alignment="bottom")
    c_prev.button("Prev", icon=":material/skip_previous:", key=f"{page}_prev", on_click=jump, args=(-1,),
                  disabled=step <= steps[0], width="stretch", help="Back one checkpoint.")
    c_next.button("Next", icon=":material/skip_next:", key=f"{page}_next", on_click=jump, args=(1,),
                  disabled=step >= last, width="stretch", help="Forward one checkpoint.")
    with c_slider:
        if last == 0:
            st.caption("The timeline appears after the next checkpoint.")
            return
        st.session_state[key] = int(round(step)) - int(round(step)) % frame if int(round(step)) not in steps else int(round(step))
        st.slider("Training step", 0, last, step=frame, key=key, on_change=on_scrub,
                  help="Drag through training. At a checkpoint you see its attention; between two you see a blend "
                       "of them. Dragging to the end follows the newest checkpoint.")


def _head_selectors(page: str, n_layer: int, n_head: int) -> tuple[int, int]:
    c1, c2 = st.columns(2)
    layer = c1.selectbox("Layer", list(range(n_layer)), format_func=lambda i: f"Layer {i + 1}", key=f"{page}_layer",
                         help="Which transformer block. Layer 1 reads the characters; later layers read layer 1's output.")
    head = c2.selectbox("Head", list(range(n_head)), format_func=lambda i: f"Head {i + 1}", key=f"{page}_head",
                        help="Each head learns its own way of looking back at earlier characters.")
    return layer, head


def _clicked(page: str, layer: int, head: int, key: str) -> None:
    """A click on a heatmap of the grid (not a click that clears the selection) opens it in detail."""
    event = st.session_state.get(key) or {}
    if (event.get("selection") or {}).get("open"):
        _open_detail(page, layer, head)


def _open_detail(page: str, layer: int, head: int) -> None:
    st.session_state[f"{page}_mode"] = "Detail"
    st.session_state[f"{page}_layer"] = layer
    st.session_state[f"{page}_head"] = head


def _grid(frame: np.ndarray, tokens: list[str], page: str, font_scale: float, idle: bool = False) -> None:
    n_layer, n_head = frame.shape[:2]
    # On a projector (workshop mode) four heads or fewer stand in one row, so that all of them are on a
    # 1280 x 720 first screen during a run (a second row of 370-px heatmaps began 450 px past the top).
    per_row = n_layer * n_head if font_scale > 1 and n_layer * n_head <= 4 else n_head
    # Larger in workshop mode, but never wider than the main column (about 820 px at 1280 px).
    size = int(min(300 * font_scale, max(140, 860 // max(1, per_row) - 60)))
    if font_scale > 1 and per_row >= 4:
        size = 180  # four 180-px heatmaps and their titles in four columns of 193 px at 1280 px
    st.html(heat_legend_html())
    cells = [(layer, head) for layer in range(n_layer) for head in range(n_head)]
    for start in range(0, len(cells), per_row):
        cols = st.columns(per_row)
        for col, (layer, head) in zip(cols, cells[start:start + per_row]):
            with col:
                key = f"{page}_cell_{layer}_{head}"
                st.vega_lite_chart(spec=heatmap(frame[layer, head], tokens, attn.head_name(layer, head), size=size,
                                                font_scale=font_scale),
                                   key=key, width="content", selection_mode="open",
                                   on_select="ignore" if idle else functools.partial(_clicked, page, layer, head, key))
                if not idle:
                    st.button("Open", icon=":material/zoom_in:", key=f"{page}_open_{layer}_{head}",
                              on_click=_open_detail, args=(page, layer, head),
                              help=f"Open {attn.head_name(layer, head)} large, with the characters on the axes.")
    st.caption("Click a heatmap (or its Open button) to see it large. Rows: the character doing the looking "
               "(query). Columns: the characters it looks at (keys). White = "
               "no attention, dark blue = all of it. The upper triangle is empty: a character cannot see the future.")


def _detail(matrix: np.ndarray, tokens: list[str], layer: int, head: int, step: float, font_scale: float) -> None:
    title = f"{attn.head_name(layer, head)} · step {int(round(step)):,}"
    # As wide as the column and square (charts: Detail's size): its 64 rows of 12-px labels were
    # 918 px wide in an 820-px column at 1280 px. Labels at most 1.25x larger on a projector.
    font_scale = min(font_scale, 1.25)
    st.html(f"<style>.st-key-{DETAIL_BOX} {{ container-type: inline-size; }}"
            f".st-key-{DETAIL_BOX} .vega-embed {{ height: calc(100cqw + {detail_below(font_scale)}px) !important; }}</style>")
    with st.container(key=DETAIL_BOX):
        st.vega_lite_chart(spec=heatmap(matrix, tokens, title, legend=True, detail=True, font_scale=font_scale),
                           key="cinema_detail", width="stretch")
    probe = html.escape("".join(visible_char(t) for t in tokens))
    st.html(f'<div style="font-family: ui-monospace, monospace; color:#94A3B8; font-size:0.85rem;">'
            f'Probe text: <span style="color:#E2E8F0">{probe}</span> · ␣ = space, ↵ = new line</div>')


def _three_d(matrix: np.ndarray, tokens: list[str], page: str, layer: int, head: int, step: float) -> None:
    if webgl_available(f"{page}_webgl") is False:
        st.info("The 3D view needs WebGL, which this browser does not offer (it may be switched off). "
                "Showing the same head in 2D instead.", icon=":material/view_in_ar_off:")
        _detail(matrix, tokens, layer, head, step, 1.0)
        return
    try:
        deck = attention_deck(matrix, tokens)
        st.pydeck_chart(deck, key=f"{page}_deck", height=560)
        st.caption(f"{attn.head_name(layer, head)} in 3D: column height and colour = attention. Front edge: the "
                   "characters looked at (keys); left edge: the characters doing the looking (queries). Drag to turn, "
                   "scroll to zoom, hover a column for its characters.")
    except Exception as e:  # pydeck missing or the deck cannot be built: 2D instead, with a note
        st.info(f"The 3D view is not available here ({type(e).__name__}); showing the 2D heatmap instead.")
        _detail(matrix, tokens, layer, head, step, 1.0)


def _reading_aids(film: attn.Film, step: float, font_scale: float) -> None:
    st.markdown("##### What the heads learned", help="Measured on the attention shown, not written in advance.")
    sentences = film.until(step).describe()  # what the heads had learned by the step shown
    st.html("<ul style='margin:0 0 0.5rem 1rem; color:#CBD5E1; line-height:1.6'>"
            + "".join(f"<li>{html.escape(s)}</li>" for s in sentences) + "</ul>")
    rows = film.entropy_history()
    st.vega_lite_chart(spec=entropy_chart(rows, attn.max_entropy(len(film.tokens)), font_scale=font_scale),
                       key="cinema_entropy", width="stretch")
    st.caption("Entropy of each head over training: high = attention spread evenly, low = focused on a few characters.")


def _exports(page: str, film: attn.Film, frame: np.ndarray, step: float, session: TrainingSession) -> None:
    layer = st.session_state.get(f"{page}_layer", 0) or 0
    head = st.session_state.get(f"{page}_head", 0) or 0
    layer = min(layer, frame.shape[0] - 1)
    head = min(head, frame.shape[1] - 1)
    c1, c2 = st.container(key=f"{page}_lbextras").columns(2)
    meta = {"dataset": session.request.label if session.request else "", "model": session.request.model.to_dict()
            if session.request else {}}
    # Callables: the files are made only when a person clicks, not on every tick of the film.
    c1.download_button("Attention history (JSON)", data=lambda: film.export_json(meta),
                       file_name="attention-history.json", mime="application/json", icon=":material/download:",
                       key=f"{page}_dl_json", on_click="ignore",
                       help="Every checkpoint, layer and head, with the probe's characters.")
    title = f"{attn.head_name(layer, head)} at step {int(round(step))}"
    matrix = frame[layer, head]
    c2.download_button("This heatmap (SVG)", data=lambda: heatmap_svg(matrix, film.tokens, title),
                       file_name=f"attention-L{layer + 1}-H{head + 1}-step{int(round(step))}.svg", mime="image/svg+xml",
                       icon=":material/image:", key=f"{page}_dl_svg", on_click="ignore",
                       help="The heatmap of the selected layer and head at the step shown, as a picture.")
