"""Mixture of experts, live: a small MoE GPT trains and its router shares the work (docs/design.md §MoE)."""
from dataclasses import replace

from llmbreaker.ui import moe_view
from llmbreaker.ui.common import page_header, page_session
from llmbreaker.ui.inputs import dataset_run_setup
from llmbreaker.ui.run_address import shown_session

PAGE = moe_view.PAGE

page_header("Mixture of experts, live", "Each block gets a team of feed-forward experts and a router that picks "
            "who reads each character. Watch the work get shared, or not.", page=PAGE)
session = page_session(PAGE)


def balancing_on_and_off(make_request):
    def make_requests():
        on = make_request()
        return [replace(on, model=replace(on.model, balance_loss=moe_view.BALANCE_WEIGHT)),
                replace(on, model=replace(on.model, balance_loss=0.0))]
    moe_view.compare_button(session, make_requests if make_request else None)


shown = shown_session(PAGE, session)  # this tab's run, or the run the address names (?run=), read-only
if shown is not None:
    if not shown.read_only:
        dataset_run_setup(PAGE, shown, model_switches=moe_view.expert_settings, more_controls=balancing_on_and_off)
    moe_view.live_view(shown)
