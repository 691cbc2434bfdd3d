"""The colours of every picture, in one place: a dark page on a projector, so each colour is picked
to be told apart on slate (#0F172A) from the back of a room."""

# Ink
BLUE = "#3B82F6"  # the app's accent: titles, the model's own lines
PINK = "#EC4899"  # the spec's accent pink: validation must not be mistaken for training on a projector
CYAN = "#06B6D4"
GREEN = "#10B981"
TRAIN_BLUE = "#60A5FA"  # the training loss
DIM = "#64748B"  # guides: even-share rules, grid-like marks
STEP_GREY = "#94A3B8"  # the per-step curve behind the checkpoints; secondary text
TEXT = "#CBD5E1"  # text drawn inside a chart

# One colour per series of a comparison (a run of the Lab, an expert of an MoE layer: Mixtral has 8),
# in this order everywhere, so that the second run or expert is pink on every page.
SERIES_COLORS = ["#60A5FA", "#F472B6", "#34D399", "#FBBF24", "#A78BFA", "#F87171", "#22D3EE", "#FB923C"]

# Attention weights, white (none) to deep blue (all).
HEAT_RANGE = ["#FFFFFF", "#60A5FA", "#1E3A8A"]


def series_color(i: int) -> str:
    """The colour of the i-th series (0-based), repeating after eight."""
    return SERIES_COLORS[i % len(SERIES_COLORS)]
