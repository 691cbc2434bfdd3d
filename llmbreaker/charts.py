"""Altair chart builders: history in, chart out. Pure functions, no streamlit."""
from __future__ import annotations

import altair as alt
import pandas as pd

from .trainer import Checkpoint

BLUE = "#3B82F6"
CYAN = "#06B6D4"
DIM = "#64748B"
TEXT = "#CBD5E1"
MAX_STEP_POINTS = 600  # the per-step curve is thinned to this many points: the shape, not the bytes

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


def thin(steps: list[int], losses: list[float], limit: int = MAX_STEP_POINTS) -> pd.DataFrame:
    """Average the per-step losses into at most `limit` buckets (keeps the trend, drops noise)."""
    n = len(steps)
    if n == 0:
        return pd.DataFrame({"step": [], "loss": []})
    df = pd.DataFrame({"step": steps, "loss": losses})
    if n <= limit:
        return df
    bucket = (df.index * limit) // n
    return df.groupby(bucket).agg(step=("step", "last"), loss=("loss", "mean")).reset_index(drop=True)


def stage_annotations(checkpoints: list[Checkpoint]) -> pd.DataFrame:
    """One label per checkpoint at most: where several stages are first passed at the same
    checkpoint, the furthest one is named."""
    by_step: dict[int, dict] = {}
    for threshold, label in STAGES:
        for c in checkpoints:
            if c.step > 0 and c.val_loss < threshold:
                by_step[c.step] = {"step": c.step, "loss": c.val_loss, "label": label}
                break
    return pd.DataFrame(list(by_step.values()), columns=["step", "loss", "label"])


def loss_chart(steps: list[int], losses: list[float], checkpoints: list[Checkpoint], total_steps: int,
               selected_step: int | None = None, height: int = 320, font_scale: float = 1.0) -> alt.LayerChart:
    """Per-step training loss, train and validation loss at checkpoints (clickable), annotations."""
    per_step = thin(steps, losses)
    cps = pd.DataFrame(
        [{"step": c.step, "split": split, "loss": round(getattr(c, f"{split}_loss"), 3)}
         for c in checkpoints for split in ("train", "val")],
        columns=["step", "split", "loss"],
    )
    cps["split"] = cps["split"].map({"train": "Train loss (checkpoint)", "val": "Validation loss"})
    top = max([4.5] + list(cps["loss"]) + list(per_step["loss"][:5]))
    x = alt.X("step:Q", title="Training step", scale=alt.Scale(domain=[0, max(1, total_steps)], nice=False))
    y = alt.Y("loss:Q", title="Loss (lower = better predictions)", scale=alt.Scale(domain=[1.0, top], nice=False))

    pick = alt.selection_point(name="checkpoint", fields=["step"], on="click", nearest=True, empty=False)
    colors = alt.Scale(domain=["Train loss (checkpoint)", "Validation loss"], range=[BLUE, CYAN])

    raw = alt.Chart(per_step).mark_line(color=DIM, opacity=0.55, strokeWidth=1 * font_scale).encode(
        x=x, y=y, tooltip=[alt.Tooltip("step:Q", title="Step"), alt.Tooltip("loss:Q", title="Training loss", format=".3f")]
    )
    lines = alt.Chart(cps).mark_line(strokeWidth=2.5 * font_scale).encode(
        x=x, y=y, color=alt.Color("split:N", scale=colors, legend=alt.Legend(title=None, orient="top-right"))
    )
    points = alt.Chart(cps).mark_point(filled=True, size=70 * font_scale, cursor="pointer").encode(
        x=x, y=y, color=alt.Color("split:N", scale=colors, legend=None),
        tooltip=[alt.Tooltip("step:Q", title="Step"), alt.Tooltip("split:N", title="Curve"),
                 alt.Tooltip("loss:Q", title="Loss", format=".3f")],
    ).add_params(pick)
    layers = [raw, lines, points]
    if selected_step is not None:
        layers.append(alt.Chart(pd.DataFrame({"step": [selected_step]})).mark_rule(
            color="#F1F5F9", strokeDash=[4, 4], opacity=0.6).encode(x="step:Q"))
    notes = stage_annotations(checkpoints)
    if len(notes):
        layers.append(alt.Chart(notes).mark_text(
            align="left", dx=6, dy=-12, color=TEXT, opacity=0.75, fontSize=12 * font_scale, fontStyle="italic"
        ).encode(x="step:Q", y="loss:Q", text="label:N"))
    return alt.layer(*layers).properties(height=height).configure_axis(
        labelFontSize=12 * font_scale, titleFontSize=13 * font_scale
    ).configure_legend(labelFontSize=12 * font_scale)


def next_token_chart(top: list[tuple[str, float]], height: int = 260, font_scale: float = 1.0) -> alt.Chart:
    df = pd.DataFrame(
        [{"token": visible_char(c), "probability": p, "rank": i} for i, (c, p) in enumerate(top)],
        columns=["token", "probability", "rank"],
    )
    base = alt.Chart(df).encode(
        y=alt.Y("token:N", sort=alt.SortField("rank"), title=None, axis=alt.Axis(labelFontSize=15 * font_scale)),
        x=alt.X("probability:Q", title="Probability of being next", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("token:N", title="Next character"), alt.Tooltip("probability:Q", format=".1%")],
    )
    bars = base.mark_bar(color=BLUE, cornerRadiusEnd=3)
    labels = base.mark_text(align="left", dx=4, color=TEXT, fontSize=12 * font_scale).encode(
        text=alt.Text("probability:Q", format=".0%"))
    return (bars + labels).properties(height=height).configure_axis(titleFontSize=13 * font_scale)
