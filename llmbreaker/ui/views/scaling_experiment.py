"""The scaling page's live experiment (docs/design.md §Scaling): model sizes trained here for the same time,
their final losses against their sizes, and a fitted IsoFLOP parabola (see llmbreaker/lessons/scaling_experiment.py)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from llmbreaker.charts.scaling import experiment_chart
from llmbreaker.engine.corpus import bundled_text
from llmbreaker.engine.session import TrainingSession
from llmbreaker.lessons import scaling_experiment as se
from llmbreaker.ui.shell import font_scale, page_session
from llmbreaker.ui.widgets.controls import live_fragment, progress_line
from llmbreaker.ui.widgets.run_address import shown_session

PAGE = "scaling"
POLL_SECONDS = 1.0


def experiment_section() -> None:
    st.divider()
    st.markdown("#### Try it here: a mini scaling experiment",
                help="Real training runs on this computer, one after another.")
    st.markdown(f"Four models from {se.EXPERIMENT_SIZES[0].n_embd} to {se.EXPERIMENT_SIZES[-1].n_embd} dimensions "
                "each train on Shakespeare for **the same number of seconds**. A small model takes many cheap steps; a big "
                "one takes few expensive ones. Which ends with the lowest validation loss? The same time is not quite "
                "the same compute: on a CPU a small model's step is mostly fixed overhead, so it does fewer of its "
                "FLOPs per second than a big one (the table counts each model's compute, 6ND).")
    session = page_session(PAGE)
    shown = shown_session(PAGE, session)  # this tab's experiment, or the one the address names, read-only
    if shown is None:
        return
    if shown.read_only:
        _live(shown)
        return
    session = shown
    c1, c2, c3 = st.columns([1.2, 1, 1], vertical_alignment="bottom")
    budget = c1.segmented_control("Seconds per model", list(se.BUDGETS), default=se.DEFAULT_BUDGET, key="scaling_budget",
                                  required=True, format_func=lambda s: f"{s} s",
                                  help="Training time of each model (evaluation not counted). More time favours bigger models.")
    c2.button("Run the experiment", type="primary", icon=":material/play_arrow:", key="scaling_run", width="stretch",
              on_click=_start, args=(session, int(budget or se.DEFAULT_BUDGET)), disabled=session.active,
              help=f"Trains the {len(se.EXPERIMENT_SIZES)} models one after another at full speed.")
    c3.button("Stop", icon=":material/stop:", key="scaling_stop", on_click=session.stop, disabled=not session.active,
              width="stretch", help="End the experiment; finished models stay on the chart.")
    _live(session)


def _start(session: TrainingSession, budget: int) -> None:
    session.clear_runs()  # the new comparison replaces the runs on the page
    session.set_speed("max")
    for request in se.experiment_requests(bundled_text("shakespeare"), "Shakespeare", budget):
        session.enqueue(request)


def _live(session: TrainingSession) -> None:
    def _draw() -> None:
        histories = [h for h in session.finished if h.request is not None and h.request.train.time_budget > 0]
        current = session.history
        if current.request is not None and current.request.train.time_budget > 0:
            histories.append(current)
        if not histories:
            st.info("Press **Run the experiment**. It takes about four times the seconds you chose, plus a little "
                    "for measuring.", icon=":material/lightbulb:")
            return
        if session.read_only:
            progress_line(session)  # how far the replay is, how the recorded runs ended
        elif session.active:
            n = len(histories)
            budget = current.request.train.time_budget
            spent = current.checkpoints[-1].elapsed if current.checkpoints else 0.0
            st.progress(min(1.0, (n - 1 + spent / budget) / len(se.EXPERIMENT_SIZES)),
                        text=f"Model {n} of {len(se.EXPERIMENT_SIZES)} · {spent:.0f} s of {budget:.0f} s · step {current.step:,}")
        done = [h for h in histories if h.ended == "completed"]
        points = [p for p in (se.result(h) for h in done) if p is not None]
        if not points:
            return
        fit = se.isoflop_fit(points)
        left, right = st.columns([1.4, 1], gap="large")
        with left:
            st.altair_chart(experiment_chart(points, fit, font_scale()), width="stretch")
        with right:
            best = se.best_size(fit, points)
            if fit is not None:
                a, b, c = fit
                st.latex(rf"L \approx {a:.3f}\,x^2 {b:+.3f}\,x {c:+.3f}")
                st.caption("with x = log₁₀ N, fitted to the points by least squares.")
            if best:
                st.success(f"For this budget the fitted curve bottoms out near **{best:,.0f} parameters**: smaller "
                           "models run out of capacity, bigger ones out of steps.", icon=":material/insights:")
            elif fit is not None:
                st.caption("The curve has no bottom inside the sizes tried: for this budget the best model is at one "
                           "end. Try a longer or shorter budget.")
            st.caption("As in Chinchilla's IsoFLOP profiles (Hoffmann et al. 2022, approach 2): at a fixed compute, "
                       "loss against log(size) is close to a parabola, and its bottom is the compute-optimal size. "
                       + se.compute_note(points) + " Our losses are per character, so the numbers differ from the "
                       "paper's; the shape is the lesson.")
        st.dataframe(pd.DataFrame([{"Model": p.name, "Parameters N": p.parameters, "Steps": p.steps,
                                    "Characters seen D": p.tokens, "Compute 6ND": f"{p.compute:.2e}",
                                    "Validation loss": round(p.val_loss, 3), "Training seconds": round(p.seconds, 1)}
                                   for p in points]),
                     hide_index=True, width="stretch", key="scaling_results",
                     column_config={c: st.column_config.NumberColumn(format="localized")
                                    for c in ("Parameters N", "Steps", "Characters seen D")})

    live_fragment(session, PAGE, _draw, POLL_SECONDS)


