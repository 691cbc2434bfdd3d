"""Mixture of experts, live (docs/design.md §MoE): train a small MoE GPT and watch its router share the work.

The page trains like Watch (same picker, settings and controls) with experts in place of each
block's feed-forward. Its fragment draws, from the checkpoints: which expert each character of a
probe text goes to, the share of tokens per layer and expert, how those shares move, and the
balancing loss; "balancing on vs off" queues both runs so their experts can be compared.
"""
from __future__ import annotations

import html
from dataclasses import replace

import streamlit as st

from llmbreaker.charts.training import (EXPERT_COLORS, balance_chart, expert_share_chart, expert_share_over_time_chart,
                                        loss_chart, run_legend_html, visible_char)
from llmbreaker.engine.model import BALANCE_WEIGHT, parameter_budget
from llmbreaker.engine.session import History, TrainingSession
from llmbreaker.ui.shell import font_scale, page_header, page_session
from llmbreaker.ui.widgets.controls import live_fragment, progress_line, starting_note
from llmbreaker.ui.widgets.inputs import dataset_run_setup
from llmbreaker.ui.widgets.run_address import shown_session

PAGE = "moe"
POLL_SECONDS = 0.5


def view() -> None:
    """This tab's MoE run with its settings (the experts' beside the model's) and controls, or the
    run the address names (?run=), read-only; the router at work below."""
    page_header("Mixture of experts, live", "Each block gets a team of feed-forward experts and a router that picks "
                "who reads each character. Watch the work get shared, or not.", page=PAGE)
    session = page_session(PAGE)

    def balancing_on_and_off(make_request):
        def make_requests():
            on = make_request()
            return [replace(on, model=replace(on.model, balance_loss=BALANCE_WEIGHT)),
                    replace(on, model=replace(on.model, balance_loss=0.0))]
        compare_button(session, make_requests if make_request else None)

    shown = shown_session(PAGE, session)  # this tab's run, or the run the address names (?run=), read-only
    if shown is None:
        return
    if not shown.read_only:
        dataset_run_setup(PAGE, shown, model_switches=expert_settings, more_controls=balancing_on_and_off)
    live_view(shown)


def expert_settings() -> dict:
    """The experts' settings (drawn beside the model settings); ModelConfig overrides."""
    c1, c2 = st.columns(2)
    n_expert = c1.segmented_control("Experts", [2, 4, 8], default=8, key="moe_experts", required=True,
                                    help="Feed-forward networks per block. Mixtral 8x7B has 8.")
    top_k = c2.segmented_control("Experts per character", [1, 2], default=1, key="moe_topk", required=True,
                                 help="How many experts the router sends each character to (Mixtral: 2; Switch: 1).")
    balance = st.toggle("Balancing loss", True, key="moe_balance",
                        help="An extra loss that rewards spreading the characters evenly over the experts. "
                             "Switch it off to see a few experts take all the work.")
    return {"n_expert": int(n_expert), "expert_top_k": int(top_k), "balance_loss": BALANCE_WEIGHT if balance else 0.0}


def compare_button(session: TrainingSession, make_requests) -> None:
    """One click: the same model with the balancing loss on, then off, one after the other."""
    def start():
        requests = make_requests()
        if not requests:
            return
        session.clear_runs()  # the new comparison replaces the runs on the page
        for r in requests:
            session.enqueue(r)

    st.button("Compare: balancing loss on vs off", icon=":material/balance:", key="moe_compare", on_click=start,
              disabled=make_requests is None, width="stretch",
              help="Trains this model twice, with and without the balancing loss, on the same text and seed, "
                   "and shows both runs' experts side by side.")


def run_label(history: History) -> str:
    m = history.request.model
    on = "on" if m.balance_loss > 0 else "off"
    return f"{m.n_expert} experts, top-{m.expert_top_k}, balancing {on}"


def live_view(session: TrainingSession) -> None:
    live_fragment(session, PAGE, lambda: _draw(session), POLL_SECONDS)


def _draw(session: TrainingSession) -> None:
    h = session.history
    progress_line(session)
    if h.message:
        st.error(f"{h.message} Your settings are kept: press Replay to try again.", icon=":material/warning:")
    if not h.checkpoints or h.checkpoints[-1].experts is None:
        if session.active:
            starting_note(session, "Preparing the experts and taking the first checkpoint…")
        else:
            st.info("Press **Play** to train a GPT whose feed-forward layers are a team of experts. A router "
                    "picks, for every character, which expert handles it. Watch how the work gets shared.",
                    icon=":material/lightbulb:")
        return
    scale = font_scale()
    last = h.checkpoints[-1]
    cfg = h.request.model
    n_layer = cfg.n_layer
    rows, active = parameter_budget(replace(cfg, vocab_size=max(2, len(h.vocab))))
    total = rows[-1]["params"]
    share = last.experts["share"]
    # On a projector (workshop mode) the numbers come after the pictures: above them, the probe text's
    # experts began under a 1280 x 720 first screen.
    numbers = st.container() if scale == 1 else None
    left, right = st.columns([1.25, 1], gap="large")
    if numbers is None:
        numbers = st.container()
    m1, m2, m3, m4 = numbers.columns(4)
    m1.metric("Total parameters", f"{total:,}", help="Every weight, all experts included.")
    m2.metric("Active per character", f"{active:,}",
              help=f"Each character goes through only its top-{cfg.expert_top_k} of {cfg.n_expert} experts per block.")
    m3.metric("Balancing loss", f"{last.experts['balance'] / n_layer:.2f}",
              help="Per layer: 1.00 when every expert gets the same share of characters; up to the number of "
                   "experts when one gets them all.")
    m4.metric("Busiest expert", f"{share.max():.0%}", help=f"Its share of the characters. Even work: {1 / cfg.n_expert:.0%}.")
    with left:
        st.markdown("##### Which expert reads each character",
                    help="The probe text, each character coloured by the expert the router sent it to first.")
        layer = st.segmented_control("Layer", list(range(n_layer)), default=0, key="moe_layer", required=True,
                                     format_func=lambda l: f"Layer {l + 1}", help="Routing is decided in every block separately.")
        layer = int(layer or 0)
        st.html(_probe_html(h.probe_tokens, last.experts["probe_top"][layer], cfg.n_expert))
        st.markdown(f"##### Share of each expert over training · layer {layer + 1}",
                    help="Flat lines around the even share mean the router spreads the work.")
        st.vega_lite_chart(spec=expert_share_over_time_chart(h.checkpoints, layer, height=int(220 * scale), font_scale=scale),
                           width="stretch", key="moe_share_time")
    with right:
        # (on a projector, in words that fit one line of this column: two pushed the chart off the screen)
        st.markdown(f"##### {'Share of characters per expert' if scale == 1 else 'Experts’ share'} · step {last.step:,}",
                    help="Measured on held-out windows of the text at the last checkpoint.")
        with st.container(key="moe_share_now"):  # (a box the first-screen test finds it by)
            st.vega_lite_chart(spec=expert_share_chart(share, font_scale=scale), width="stretch", key="moe_share")
        st.markdown("##### Loss", help="Cross-entropy on the training text (blue) and held-out text (pink).")
        st.vega_lite_chart(spec=loss_chart(h.steps, h.losses, h.checkpoints, h.total_steps, len(h.vocab),
                                           height=int(260 * scale), font_scale=scale), width="stretch", key="moe_loss")
    runs = [(run_label(r), r.checkpoints) for r in session.finished if r.request and r.request.model.n_expert] + \
           [(run_label(h), h.checkpoints)]
    legend = run_legend_html([name for name, _ in runs])  # (HTML: it wraps where a Vega legend ran out)
    b1, b2 = st.columns(2, gap="large")
    with b1:
        st.markdown("##### Busiest expert over training",
                    help=f"The share of characters of the most used expert. The dashed line is even work: {1 / cfg.n_expert:.0%}.")
        st.html(legend)
        st.vega_lite_chart(spec=balance_chart(runs, n_layer, height=int(220 * scale), font_scale=scale, busiest=True),
                           width="stretch", key="moe_busiest_chart")
    with b2:
        st.markdown("##### Balancing loss over training",
                    help="The router's load-balancing loss per layer. The dashed line at 1.0 is perfectly even work. "
                         "It stays near 1 while the router is unsure, even when its first choices are uneven.")
        st.html(legend)
        st.vega_lite_chart(spec=balance_chart(runs, n_layer, height=int(220 * scale), font_scale=scale),
                           width="stretch", key="moe_balance_chart")
    finished = [r for r in session.finished if r.request and r.request.model.n_expert and r.checkpoints]
    if finished:
        st.markdown("##### Side by side: where the work went", help="Each run's share per expert at its last checkpoint.")
        cols = st.columns(len(finished) + 1)
        for col, run in zip(cols, finished + [h]):
            with col:
                final = run.checkpoints[-1]
                st.markdown(f"**{html.escape(run_label(run))}**")
                st.vega_lite_chart(spec=expert_share_chart(final.experts["share"], font_scale=scale),
                                   width="stretch", key=f"moe_side_{run.run_id}")
                idle = int((final.experts["share"] < 0.02).sum())
                st.caption(f"Validation loss {final.val_loss:.2f} · busiest expert {final.experts['share'].max():.0%} "
                           f"of the characters · {idle} expert slot{'s' * (idle != 1)} under 2 %")


def _probe_html(tokens: list[str], experts, n_expert: int) -> str:
    spans = []
    for ch, e in zip(tokens, experts.tolist()):
        color = EXPERT_COLORS[int(e) % len(EXPERT_COLORS)]
        shown = html.escape(visible_char(ch) if ch in " \n\t" else ch)
        # ␣ is no place to break a line, as a space is: without <wbr> a line could break only at a
        # hyphen, and the characters before it ran out of the box ("dinner-time" lost "nner-").
        after = "<br>" if ch == "\n" else "<wbr>" if ch in " \t" else ""
        spans.append(f'<span title="expert E{int(e) + 1}" style="background:{color}33; border-bottom:3px solid {color}; '
                     f'padding:0 1px; margin:0 0.5px">{shown}</span>{after}')
    legend = " ".join(f'<span style="border-bottom:3px solid {EXPERT_COLORS[e]}; padding:0 4px; margin-right:6px">E{e + 1}</span>'
                      for e in range(n_expert))
    return (f'<div class="lb-probe" style="font-family: ui-monospace, monospace; font-size:1.05rem; line-height:2.0; '
            f'color:#E2E8F0; background:#111827; padding:0.6rem 0.8rem; border-radius:8px; overflow-wrap:anywhere">'
            f'{"".join(spans)}</div>'
            f'<div style="font-size:0.85rem; color:#94A3B8; margin-top:0.3rem">Experts: {legend}</div>')
