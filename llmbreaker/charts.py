"""Chart builders: history in, Vega-Lite spec out. Pure functions, no streamlit.

The charts are written with Altair, but the live view redraws them twice a second while a model
trains in another thread of the same process. Building and validating an Altair chart costs
tens of milliseconds of pure Python, all of it holding the GIL the trainer needs. So each chart's
*shape* is built with Altair once (cached, with named datasets) and every redraw only copies that
spec and fills in the data: about a millisecond.
"""
from __future__ import annotations

import copy
import functools
import math

import altair as alt
import pandas as pd

from .trainer import Checkpoint

BLUE = "#3B82F6"
CYAN = "#06B6D4"
DIM = "#64748B"
TEXT = "#CBD5E1"
MAX_STEP_POINTS = 400  # the per-step curve is thinned to this many points: the shape, not the bytes
TRAIN_LABEL = "Train loss (checkpoint)"
VAL_LABEL = "Validation loss"

# What the model is learning around a validation loss (nats per character), for the chart's
# subtle annotations. Each is placed at the first checkpoint that gets below its threshold.
STAGES = (
    (3.0, "letter frequencies"),
    (2.5, "pairs of letters"),
    (2.2, "short words"),
    (2.0, "spelling and line breaks"),
    (1.8, "word order"),
)


def visible_char(c: str) -> str:
    """A character as people can see it on an axis or a bar: space and newline shown."""
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(c, c)


def thin(steps: list[int], losses: list[float], limit: int = MAX_STEP_POINTS) -> list[dict]:
    """Average the per-step losses into at most `limit` buckets (keeps the trend, drops noise)."""
    n = len(steps)
    if n <= limit:
        return [{"step": s, "loss": round(v, 4)} for s, v in zip(steps, losses)]
    out = []
    for b in range(limit):
        lo, hi = b * n // limit, (b + 1) * n // limit
        chunk = losses[lo:hi]
        out.append({"step": steps[hi - 1], "loss": round(sum(chunk) / len(chunk), 4)})
    return out


def stage_annotations(checkpoints: list[Checkpoint]) -> list[dict]:
    """One label per checkpoint at most: where several stages are first passed at the same
    checkpoint, the furthest one is named."""
    by_step: dict[int, dict] = {}
    for threshold, label in STAGES:
        for c in checkpoints:
            if c.step > 0 and c.val_loss < threshold:
                by_step[c.step] = {"step": c.step, "loss": round(c.val_loss, 3), "label": label}
                break
    return list(by_step.values())


def loss_axis_top(vocab_size: int) -> float:
    """The untrained model's loss is about ln(vocab): the y axis starts just above it."""
    return round(max(4.5, math.log(max(vocab_size, 2)) + 0.3), 1)


@functools.lru_cache(maxsize=32)
def _loss_template(total_steps: int, y_top: float, height: int, font_scale: float) -> dict:
    x = alt.X("step:Q", title="Training step", scale=alt.Scale(domain=[0, max(1, total_steps)], nice=False))
    y = alt.Y("loss:Q", title="Loss (lower = better predictions)", scale=alt.Scale(domain=[1.0, y_top], nice=False))
    colors = alt.Scale(domain=[TRAIN_LABEL, VAL_LABEL], range=[BLUE, CYAN])
    pick = alt.selection_point(name="checkpoint", fields=["step"], on="click", nearest=True, empty=False)
    raw = alt.Chart(alt.NamedData("per_step")).mark_line(color=DIM, opacity=0.55, strokeWidth=1 * font_scale).encode(
        x=x, y=y, tooltip=[alt.Tooltip("step:Q", title="Step"), alt.Tooltip("loss:Q", title="Training loss", format=".3f")])
    lines = alt.Chart(alt.NamedData("checkpoints")).mark_line(strokeWidth=2.5 * font_scale).encode(
        x=x, y=y, color=alt.Color("split:N", scale=colors, legend=alt.Legend(title=None, orient="top-right")))
    points = alt.Chart(alt.NamedData("checkpoints")).mark_point(filled=True, size=70 * font_scale, cursor="pointer").encode(
        x=x, y=y, color=alt.Color("split:N", scale=colors, legend=None),
        tooltip=[alt.Tooltip("step:Q", title="Step"), alt.Tooltip("split:N", title="Curve"),
                 alt.Tooltip("loss:Q", title="Loss", format=".3f")],
    ).add_params(pick)
    selected = alt.Chart(alt.NamedData("selected")).mark_rule(
        color="#F1F5F9", strokeDash=[4, 4], opacity=0.6).encode(x="step:Q")
    notes = alt.Chart(alt.NamedData("notes")).mark_text(
        align="left", dx=6, dy=-12, color=TEXT, opacity=0.75, fontSize=12 * font_scale, fontStyle="italic",
    ).encode(x="step:Q", y="loss:Q", text="label:N")
    chart = alt.layer(raw, lines, points, selected, notes).properties(height=height).configure_axis(
        labelFontSize=12 * font_scale, titleFontSize=13 * font_scale).configure_legend(labelFontSize=12 * font_scale)
    return chart.to_dict()


def loss_chart(steps: list[int], losses: list[float], checkpoints: list[Checkpoint], total_steps: int,
               vocab_size: int = 65, selected_step: int | None = None, height: int = 320,
               font_scale: float = 1.0) -> dict:
    """Per-step training loss, train and validation loss at checkpoints (clickable: the selection
    is named "checkpoint"), the selected checkpoint as a rule, and the stage annotations."""
    spec = copy.deepcopy(_loss_template(total_steps, loss_axis_top(vocab_size), height, font_scale))
    spec["datasets"] = {
        "per_step": thin(steps, losses),
        "checkpoints": [{"step": c.step, "split": label, "loss": round(loss, 3)}
                        for c in checkpoints
                        for label, loss in ((TRAIN_LABEL, c.train_loss), (VAL_LABEL, c.val_loss))],
        "selected": [] if selected_step is None else [{"step": selected_step}],
        "notes": stage_annotations(checkpoints),
    }
    return spec


@functools.lru_cache(maxsize=8)
def _next_token_template(height: int, font_scale: float) -> dict:
    base = alt.Chart(alt.NamedData("top")).encode(
        y=alt.Y("token:N", sort=alt.SortField("rank"), title=None,
                axis=alt.Axis(labelFontSize=15 * font_scale, labelOverlap=False, labelFont="monospace")),
        x=alt.X("probability:Q", title="Probability of being next", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("token:N", title="Next character"), alt.Tooltip("probability:Q", format=".1%")],
    )
    bars = base.mark_bar(color=BLUE, cornerRadiusEnd=3)
    labels = base.mark_text(align="left", dx=4, color=TEXT, fontSize=12 * font_scale).encode(
        text=alt.Text("probability:Q", format=".0%"))
    return (bars + labels).properties(height=height).configure_axis(titleFontSize=13 * font_scale).to_dict()


def next_token_chart(top: list[tuple[str, float]], height: int = 300, font_scale: float = 1.0) -> dict:
    spec = copy.deepcopy(_next_token_template(height, font_scale))
    spec["datasets"] = {"top": [{"token": visible_char(c), "probability": round(p, 4), "rank": i}
                                for i, (c, p) in enumerate(top)]}
    return spec


def as_frame(spec: dict, name: str) -> pd.DataFrame:
    """One dataset of a spec as a table (for tests and exports)."""
    return pd.DataFrame(spec["datasets"][name])
