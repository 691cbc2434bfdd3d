"""Attention Evolution Cinema: watch attention heads turn from noise into structure (docs/design.md §Cinema)."""
from llmbreaker.ui.cinema import live_view, probe_picker
from llmbreaker.ui.common import font_scale, page_header, page_session
from llmbreaker.ui.inputs import dataset_run_setup
from llmbreaker.ui.run_address import shown_session

PAGE = "cinema"

page_header("Attention Evolution Cinema", "Each head of the model decides which earlier characters to look at. "
            "Press Play and watch those choices turn from noise into patterns.", page=PAGE)
session = page_session(PAGE)


def probe_setting(model_cfg):
    block = model_cfg.block_size if model_cfg else 64
    return {"probe_text": probe_picker(PAGE, block, disabled=session.active)}


shown = shown_session(PAGE, session)  # this tab's run, or the run the address names (?run=), read-only
if shown is not None and shown.read_only:
    model = shown.request.model if shown.request else None
    live_view(shown, PAGE, idle_shape=(model.n_layer, model.n_head) if model else (2, 2), font_scale=font_scale())
elif shown is not None:
    model_cfg, _ = dataset_run_setup(PAGE, shown, probe_setting)
    live_view(shown, PAGE, idle_shape=(model_cfg.n_layer, model_cfg.n_head) if model_cfg else (2, 2),
              font_scale=font_scale())
