"""The Architecture Lab page: set up a run with switches and sliders, queue variants, compare them.

All runs of the page train in one session's queue, one after another, on the same text and seed
(see `llmbreaker/lessons/lab.py`). The comparison is drawn by a fragment that polls while the queue is busy.
"""
from __future__ import annotations

import html
from dataclasses import replace

import pandas as pd
import streamlit as st

from llmbreaker.charts.samples import real_word_share, sample_html
from llmbreaker.charts.training import RUN_COLORS, comparison_chart
from llmbreaker.engine.corpus import BUNDLED, bundled_text
from llmbreaker.engine.model import BALANCE_WEIGHT, ModelConfig, parameter_budget
from llmbreaker.engine.session import RUN_SECONDS_AT_1X, SPEEDS, History, State, TrainingRequest, TrainingSession
from llmbreaker.engine.trainer import TrainConfig
from llmbreaker.lessons.lab import (DEFAULT_SIZE, EXPERIMENTS, LAB_TRAIN, MAX_LAB_RUNS, POSITION_LABELS, SIZES,
                                    SWITCHES, experiment_requests, run_name, run_summary, settings_text)
from llmbreaker.ui.shell import font_scale, page_header, page_session, workshop_on
from llmbreaker.ui.widgets.controls import PLAY_KEY, live_fragment, progress_line, speed_help
from llmbreaker.ui.widgets.inputs import COMPACT_HEADER_CSS
from llmbreaker.ui.widgets.parameter_table import parameter_table
from llmbreaker.ui.widgets.run_address import shown_session

PAGE = "lab"
POLL_SECONDS = 1.0
HEADS = [1, 2, 4, 8]
DIMS = [8, 16, 24, 32, 48, 64, 96, 128]
BLOCKS = [16, 32, 64, 128]
BATCHES = [8, 16, 32, 64]
STEPS = [300, 500, 1000, 1500, 2000, 3000]
LRS = [1e-3, 3e-3, 5e-3, 1e-2, 2e-2, 3e-2, 5e-2]
EXPERTS = [0, 2, 4, 8]


def view() -> None:
    page_header("Architecture Lab", "Switch parts of the transformer off or swap them, train, and compare: what does "
                "each part do?", page=PAGE)
    session = page_session(PAGE)
    session.snapshot()
    shown = shown_session(PAGE, session)  # this tab's runs, or the comparison the address names, read-only
    if shown is None:
        return
    if shown.read_only:
        _comparison(shown)
        return
    session = shown
    if "lab_speed" not in st.session_state:  # comparisons are for results: the Lab trains at max
        st.session_state["lab_speed"] = "max"
    if workshop_on() and _runs_count(session):
        # On a projector, once there are runs, the comparison comes first, under a compact header (a
        # 1280 x 720 first screen shows its curves); the text, the experiments and the set-up after it.
        st.html(f"<style>{COMPACT_HEADER_CSS}</style>")
        _comparison(session)
        text_key = _text_picker()
        _experiments(session, text_key)
        with st.expander("Set up your own run", icon=":material/tune:"):
            _add_button(session, _setup_panel(text_key))
        return
    text_key = _text_picker()
    _experiments(session, text_key)
    if workshop_on():
        # On a projector the comparison gets the whole width; the set-up waits in an expander.
        _comparison(session)
        with st.expander("Set up your own run", icon=":material/tune:"):
            _add_button(session, _setup_panel(text_key))
        return
    left, right = st.columns([1.2, 1.7], gap="large")
    with left:
        with st.container(border=True, key="lab_setup"):
            request = _setup_panel(text_key)
            _add_button(session, request)
    with right:
        _comparison(session)


def _text_picker() -> str:
    return st.selectbox("Text for every run", list(BUNDLED), format_func=lambda k: BUNDLED[k][0], key="lab_text",
                        help="All runs of a comparison train on the same text with the same seed, so only "
                             "the architecture differs.")


# -- ready-made experiments --------------------------------------------------------------------
def _experiments(session: TrainingSession, text_key: str) -> None:
    st.markdown("##### Ready-made experiments",
                help="Each one queues a baseline and one change to it, on the same text and seed.")
    for col, exp in zip(st.columns(len(EXPERIMENTS)), EXPERIMENTS):
        with col.container(border=True, height="stretch"):
            st.markdown(f"**{exp.title}**")
            st.caption(exp.explain)
            st.button("Run this comparison", key=f"lab_exp_{exp.key}", icon=":material/science:",
                      on_click=_start_experiment, args=(session, exp, text_key), width="stretch",
                      help="Replaces the runs on this page with this experiment's two runs.")


def _start_experiment(session: TrainingSession, exp, text_key: str) -> None:
    session.clear_runs()  # the new comparison replaces the runs on the page
    session.set_speed(st.session_state.get("lab_speed") or "max")
    for request in experiment_requests(exp, bundled_text(text_key), BUNDLED[text_key][0]):
        session.enqueue(request)
    st.session_state.pop("lab_baseline", None)


# -- setting up one run --------------------------------------------------------------------------
def _apply_size() -> None:
    cfg = SIZES[st.session_state["lab_size"]][1]
    st.session_state.update(lab_layers=cfg.n_layer, lab_heads=cfg.n_head, lab_dims=cfg.n_embd)


def _setup_panel(text_key: str) -> TrainingRequest | None:
    st.markdown("##### Set up a run")
    if "lab_layers" not in st.session_state:  # the size preset sets these three: their values live in the state
        st.session_state.setdefault("lab_size", DEFAULT_SIZE)
        _apply_size()
    st.segmented_control("Model size", list(SIZES), format_func=lambda k: SIZES[k][0],
                         key="lab_size", on_change=_apply_size, required=True,
                         help="A starting point: sets layers, heads and dimensions below.")
    c1, c2, c3 = st.columns(3)
    n_layer = c1.slider("Layers", 1, 6, key="lab_layers", help="Transformer blocks stacked on top of each other.")
    n_head = c2.select_slider("Heads", HEADS, key="lab_heads",
                              help="Attention heads per block: each can look for something different.")
    n_embd = c3.select_slider("Dimensions", DIMS, key="lab_dims",
                              help="Numbers per character inside the model (embedding size).")

    st.markdown("**Parts of the transformer**")
    position = st.segmented_control(
        "Positions", list(POSITION_LABELS), format_func=POSITION_LABELS.get, default="learned", key="lab_position",
        required=True, help="How the model knows where each character stands.")
    st.caption("Learned: a table of one vector per place. Rotary (RoPE): Q and K are turned by an angle that grows "
               "with the place, as in LLaMA. None: " + SWITCHES[0].explain.split(";")[1].strip())
    switches = {}
    for sw in SWITCHES[1:]:
        switches[sw.field] = st.toggle(sw.label, value=True, key=f"lab_{sw.field}", help=sw.explain)
        st.caption(sw.explain)

    with st.expander("Modern variants: shared keys and values, experts", icon=":material/hub:"):
        kv_options = [h for h in (1, 2, 4, 8) if h <= n_head and n_head % h == 0]
        kv = st.select_slider("Key/value heads", [0] + [h for h in kv_options if h < n_head], 0, key="lab_kv",
                              format_func=lambda v: "one per head" if v == 0 else ("1 (multi-query)" if v == 1 else f"{v} (grouped)"),
                              help="Grouped-query attention: several query heads share one key/value head, so the "
                                   "memory kept per character while writing (the KV cache) shrinks. LLaMA-2 70B uses 8.")
        n_expert = st.select_slider("Experts", EXPERTS, 0, key="lab_experts",
                                    format_func=lambda v: "off (one feed-forward)" if v == 0 else str(v),
                                    help="A mixture of experts: several feed-forwards per block and a router that "
                                         "sends each character to its top few, as Mixtral does.")
        top_k = st.select_slider("Experts per character", [1, 2], 1 if n_expert else 2, key="lab_topk",
                                 disabled=not n_expert, help="How many experts each character is routed to.")
        balance = st.toggle("Load-balancing loss", True, key="lab_balance", disabled=not n_expert,
                            help="An extra loss that rewards spreading characters evenly over the experts. "
                                 "Without it a few experts tend to get all the work.")

    with st.expander("Training", icon=":material/tune:"):
        d1, d2 = st.columns(2)
        steps = d1.select_slider("Steps", STEPS, LAB_TRAIN.max_steps, key="lab_steps", help="Optimizer steps per run.")
        lr = d2.select_slider("Learning rate", LRS, LAB_TRAIN.learning_rate, key="lab_lr", format_func=lambda v: f"{v:g}",
                              help="Peak step size (warm-up, then cosine decay).")
        batch = d1.select_slider("Batch size", BATCHES, LAB_TRAIN.batch_size, key="lab_batch", help="Windows of text per step.")
        block = d2.select_slider("Block size", BLOCKS, 64, key="lab_block", help="How many characters the model sees at once.")
        dropout = d1.slider("Dropout", 0.0, 0.3, 0.0, 0.05, key="lab_dropout",
                            help="Randomly silences a share of the numbers while training, against memorising.")
        seed = d2.number_input("Seed", 0, 99_999, LAB_TRAIN.seed, key="lab_seed",
                               help="Same seed, same starting weights and batches: a fair comparison.")

    text = bundled_text(text_key)
    try:
        model = ModelConfig(vocab_size=len(set(text)), n_embd=n_embd, n_layer=n_layer, n_head=n_head,
                            block_size=block, dropout=dropout, position=position, n_kv_head=kv,
                            n_expert=n_expert, expert_top_k=min(top_k, max(1, n_expert)),
                            balance_loss=BALANCE_WEIGHT if balance else 0.0, **switches)
    except ValueError as e:
        st.warning(f"This combination cannot be built: {e}. Change the heads or dimensions.", icon=":material/warning:")
        return None
    _show_parameter_budget(model)
    train = replace(LAB_TRAIN, max_steps=steps, learning_rate=lr, batch_size=batch, seed=int(seed),
                    eval_interval=max(10, steps // 15))
    return TrainingRequest(text, model, train, label=BUNDLED[text_key][0])


def _show_parameter_budget(model: ModelConfig) -> None:
    rows, active = parameter_budget(model)
    total = rows[-1]["params"]
    a, b = st.columns(2)
    a.metric("Parameters", f"{total:,}", help="Every weight of this model, biases included.")
    if active != total:
        b.metric("Active per character", f"{active:,}", help="With experts, each character only goes through its top few.")
    with st.expander("Parameter budget, part by part", icon=":material/table_chart:"):
        parameter_table(rows, max_height=520)


def _runs_count(session: TrainingSession) -> int:
    current = 1 if session.history.request is not None else 0
    return len(session.finished) + current + len(session.pending)


def _add_button(session: TrainingSession, request: TrainingRequest | None) -> None:
    full = _runs_count(session) >= MAX_LAB_RUNS
    if st.button("Add to the comparison", type="primary", icon=":material/add_circle:", width="stretch",
                 disabled=request is None or full, key="lab_add",
                 help="Queue this run. Runs train one after another on the same text and seed."):
        session.set_speed(st.session_state.get("lab_speed") or "max")
        session.enqueue(request)
        st.rerun()
    if full:
        st.caption(f"The Lab keeps {MAX_LAB_RUNS} runs: remove one on the right to add another.")


# -- the comparison ------------------------------------------------------------------------------
def _all_runs(session: TrainingSession) -> list[tuple[str, History | None, TrainingRequest]]:
    """(status, history or None, request) of every run, in order: finished, current, queued."""
    runs = [("finished", h, h.request) for h in session.finished if h.request is not None]
    h = session.history
    if h.request is not None:
        status = "training" if session.active and not h.ended else "finished"
        runs.append((status, h, h.request))
    runs += [("queued", None, r) for r in session.pending]
    return runs


def _comparison(session: TrainingSession) -> None:
    live_fragment(session, PAGE, lambda: _draw(session), POLL_SECONDS)


def _controls(session: TrainingSession) -> None:
    # Inside the live fragment; a control bar (its key's suffix), so Space's focus stays in it (ui/common.py).
    c1, c2, c3 = st.container(key="lab_lbcontrols").columns([1, 1, 2.2], vertical_alignment="bottom")
    if session.state == State.PAUSED:
        c1.button("Resume", icon=":material/play_arrow:", key="lab_resume", on_click=session.resume, width="stretch",
                  type="primary", shortcut=PLAY_KEY, help="Go on training the queue. Key: Space.")
    else:
        c1.button("Pause", icon=":material/pause:", key="lab_pause", on_click=session.pause, width="stretch",
                  disabled=not session.active, shortcut=PLAY_KEY, help="Pause the run in training; the queue waits. Key: Space.")
    c2.button("Stop all", icon=":material/stop:", key="lab_stop", on_click=session.stop, width="stretch",
              disabled=not session.active, help="End the run in training and drop the queued ones. Finished runs stay.")
    speed = c3.segmented_control("Speed", list(SPEEDS), key="lab_speed", required=True, help=speed_help(
        one_x=f"paces a {TrainConfig().max_steps:,}-step run to about {RUN_SECONDS_AT_1X:.0f} s."))
    if speed and speed != session.speed:
        session.set_speed(speed)


def _draw(session: TrainingSession) -> None:
    runs = _all_runs(session)
    st.markdown("##### Compare runs", help="Every run of this page, up to 8. Each colour is one run; its name "
                "says what differs from the baseline.")
    if session.read_only:
        progress_line(session)  # how far the replay is, how the recorded runs ended
    else:
        _controls(session)
    if not runs:
        st.info("Pick a ready-made experiment above, or set up a run on the left and press **Add to the "
                "comparison**. Add a second run with one switch changed, and watch the two curves part.",
                icon=":material/lightbulb:")
        return
    scale = font_scale()
    # The curves before the baseline's choice on a projector: its dropdown pushed them past 720 px.
    chart_box = st.container() if scale > 1 else None
    names = _names(runs)
    started = [(name, h) for name, (status, h, _) in zip(names, runs) if h is not None and h.checkpoints]
    total = max(r.train.max_steps for _, _, r in runs)
    if started:
        # (380 px in all on a projector too, its larger text inside: 1.6x as tall ran past its first screen)
        with chart_box if chart_box is not None else st.container():
            st.vega_lite_chart(spec=comparison_chart([(n, h.checkpoints) for n, h in started], total,
                                                     height=380, font_scale=scale),
                               width="stretch", key="lab_chart")
        st.caption("Solid: validation loss, on text the model never trains on. Dashed: training loss. Lower is "
                   "better; a training curve far below its validation curve means memorising, or cheating.")
    _run_cards(session, runs, names)
    rows = []
    for name, (status, h, req) in zip(names, runs):
        if h is not None:
            row = run_summary(name, h, h.parameters or parameter_budget(req.model)[0][-1]["params"])
        else:
            row = {"Run": name, "Settings": settings_text(req), "Parameters": parameter_budget(req.model)[0][-1]["params"],
                   "Steps": 0}
        row["Status"] = status if not (h and h.ended == "error") else "failed"
        rows.append(row)
    # Tables whose cells wrap (st.table), not a grid that scrolls sideways: the grid hid 635 px of its
    # columns (the settings and the sample) in the Lab's column at 1280 px. The numbers in one table
    # (whole numbers and words in their cells), the settings and the last sample, long text, in another.
    table = pd.DataFrame(rows)
    fmt = {"Parameters": "{:,}", "Val loss": "{:.3f}", "Train loss": "{:.3f}", "Best val": "{:.3f}",
           "Time (s)": "{:.1f}", "Steps": "{:,}"}
    st.html(TABLES_CSS)
    with st.container(key="lab_tables"):
        st.table(table.reindex(columns=NUMBER_COLUMNS).style.hide(axis="index").format(fmt, na_rep="—"))
        st.table(table.reindex(columns=["Run", "Settings", "Sample"]).fillna("").style.hide(axis="index"))


NUMBER_COLUMNS = ["Run", "Val loss", "Train loss", "Best val", "Parameters", "Time (s)", "Steps", "Status"]
# The first table's cells break between words only ("2.476", "Parameters" stay whole) where there is
# room (not on a phone: eight columns are wider than its screen); the second one's anywhere (a sample
# can be one long "word", SSSS…).
TABLES_CSS = """<style> @media (min-width: 640px) {
.st-key-lab_tables [data-testid="stElementContainer"]:first-child td,
.st-key-lab_tables [data-testid="stElementContainer"]:first-child th,
.st-key-lab_tables [data-testid="stElementContainer"]:first-child td *,
.st-key-lab_tables [data-testid="stElementContainer"]:first-child th * { overflow-wrap: normal !important; } }
</style>"""


def _names(runs) -> list[str]:
    requests = [r for _, _, r in runs]
    options = list(range(len(runs)))
    choice = st.session_state.get("lab_baseline", 0)
    if choice not in options:
        choice = 0
    if len(runs) > 1:
        choice = st.selectbox("Baseline", options, index=choice, key="lab_baseline",
                              format_func=lambda i: f"#{i + 1} · {requests[i].label}, "
                                                    f"{requests[i].model.n_layer}×{requests[i].model.n_head}×{requests[i].model.n_embd}",
                              help="Each run is named by what it changes from this one.")
    baseline = requests[choice]
    return [run_name(i + 1, baseline, r) if i != choice else f"#{i + 1} · baseline" for i, r in enumerate(requests)]


def _run_cards(session: TrainingSession, runs, names) -> None:
    """A card per run: its colour, how it is doing, its last sample, and a remove button."""
    per_row = 2
    for start in range(0, len(runs), per_row):
        cols = st.columns(per_row)
        for col, i in zip(cols, range(start, min(start + per_row, len(runs)))):
            status, h, req = runs[i]
            with col.container(border=True, key=f"lab_card_{i}"):
                color = RUN_COLORS[i % len(RUN_COLORS)]
                st.html(f'<div style="font-weight:700; color:{color}; font-size:1.02rem">● {html.escape(names[i])}</div>')
                if h is None:
                    st.caption(f"Queued: trains after the runs above. {req.train.max_steps:,} steps on {html.escape(req.label)}.")
                    if session.read_only:
                        continue
                    pending_index = i - (len(runs) - len(session.pending))
                    st.button("Cancel", key=f"lab_cancel_{i}", icon=":material/close:",
                              on_click=session.cancel_pending, args=(pending_index,), help="Drop this queued run.")
                    continue
                last = h.checkpoints[-1] if h.checkpoints else None
                if h.ended == "error":
                    st.error(h.message, icon=":material/warning:")
                elif last is None:
                    st.caption("Starting…")
                else:
                    words = real_word_share(last.sample, h.words)
                    state = "training" if status == "training" else ("stopped" if h.ended == "stopped" else "done")
                    st.caption(f"Step {h.step:,} / {h.total_steps:,} · {state} · validation loss {last.val_loss:.2f} · "
                               f"{words:.0%} real words" + (f" · {h.seconds:.0f} s" if h.seconds else ""))
                    # A run that writes one long "word" (SSSS…) must wrap inside its card.
                    st.html(f'<div style="overflow-wrap:anywhere">{sample_html(last.sample, h.words)}</div>')
                if status != "training" and not session.read_only:
                    st.button("Remove", key=f"lab_remove_{i}", icon=":material/delete:",
                              on_click=_remove, args=(session, h), help="Take this run off the comparison.")


def _remove(session: TrainingSession, history: History) -> None:
    session.forget_finished(history.run_id)
