"""The Architecture Lab's knowledge: its switches, model sizes, ready-made experiments, and how a run
is named and summed up for the comparison. No streamlit; the page is `llmbreaker/ui/views/lab.py`.

A comparison is fair when only the architecture differs: every run of the Lab trains on the same
text with the same seed, steps and schedule unless the person changes them, and the runs train one
after another in one queue, so none of them gets more of the machine than another.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from llmbreaker.engine.model import ModelConfig
from llmbreaker.engine.presets import MODEL_SIZES
from llmbreaker.engine.session import History, TrainingRequest
from llmbreaker.engine.trainer import TrainConfig
from llmbreaker.lessons import our_model

MAX_LAB_RUNS = 8  # runs kept on the page (finished, training and queued together)

# Every Lab run starts from these: long enough for the differences to show (the curves part
# after a few hundred steps), short enough to compare four variants in about a minute at max speed.
LAB_TRAIN = TrainConfig(max_steps=1500, eval_interval=100, warmup_steps=100)

def _size_label(name: str, shape: str, cfg: ModelConfig) -> str:
    """'Tall · 4 layers, ~55 K': the parameters counted on the app's own text (our_model)."""
    n = our_model.parameters_of(cfg)
    return f"{name} · {shape}, ~{n / 1000:.1f} K" if n < 10_000 else f"{name} · {shape}, ~{n / 1000:.0f} K"


# One description of each model everywhere (docs/design.md §Consistency): a size the Lab shares with the other
# pages is the other pages' own (presets.MODEL_SIZES, under the same name); the Lab's own sizes have
# names of their own. Its four-layer model is "Tall", not "Deeper": Watch's Deeper is 3 layers x 4 heads.
_TALL = ModelConfig(n_embd=32, n_layer=4, n_head=2)
_WIDE = ModelConfig(n_embd=64, n_layer=2, n_head=4)
SIZES: dict[str, tuple[str, ModelConfig]] = {
    "tiny": (_size_label("Tiny", "the spec's", MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"]),
    "small": (_size_label("Small", "2 layers", MODEL_SIZES["small"]), MODEL_SIZES["small"]),
    "tall": (_size_label("Tall", "4 layers", _TALL), _TALL),
    "wide": (_size_label("Wide", "64 dims", _WIDE), _WIDE),
}
DEFAULT_SIZE = "small"


@dataclass(frozen=True)
class Switch:
    field: str  # the ModelConfig field it sets
    label: str
    explain: str  # one line: what this part does in the model
    off: object  # the field's value when the switch is off (on is the default config's)


SWITCHES = (
    Switch("position", "Positional embeddings",
           "Tell each character where it stands; without them the model knows which letters came before, "
           "but not in what order.", "none"),
    Switch("layer_norm", "LayerNorm",
           "Rescales each vector before attention and the feed-forward, so numbers stay in a range where "
           "learning is steady.", False),
    Switch("residual", "Residual connections",
           "Each block adds its result to its input instead of replacing it, so information and gradients "
           "pass straight through deep stacks.", False),
    Switch("tie_weights", "Weight tying",
           "The output layer reuses the token embedding table (fewer parameters): a character's vector both "
           "reads it in and scores it out.", False),
    Switch("attention", "Attention",
           "Lets each character look at earlier ones. Off: each block is feed-forward only and every "
           "prediction sees just one character.", False),
    Switch("causal", "Causal mask",
           "Hides the future from each character. Off: the model can peek at the answer, so its loss falls "
           "fast but lies, and it cannot write.", False),
)

POSITION_LABELS = {"learned": "learned", "rope": "rotary (RoPE)", "none": "none"}

# Short words for the chart's legend, per differing field.
_SHORT = {
    "position": lambda v: {"none": "no positions", "rope": "rotary positions", "learned": "learned positions"}[v],
    "layer_norm": lambda v: "LayerNorm" if v else "no LayerNorm",
    "residual": lambda v: "residuals" if v else "no residuals",
    "tie_weights": lambda v: "tied weights" if v else "untied output",
    "attention": lambda v: "attention" if v else "no attention",
    "causal": lambda v: "causal mask" if v else "no causal mask",
    "n_layer": lambda v: f"{v} layer{'s' * (v != 1)}",
    "n_head": lambda v: f"{v} head{'s' * (v != 1)}",
    "n_embd": lambda v: f"{v} dims",
    "block_size": lambda v: f"block {v}",
    "dropout": lambda v: f"dropout {v:g}",
    "n_kv_head": lambda v: "multi-head K/V" if v == 0 else f"{v} K/V head{'s' * (v != 1)}",
    "n_expert": lambda v: "dense feed-forward" if v == 0 else f"{v} experts",
    "expert_top_k": lambda v: f"top-{v} routing",
    "balance_loss": lambda v: "no balancing loss" if v == 0 else f"balancing {v:g}",
    "learning_rate": lambda v: f"lr {v:g}",
    "batch_size": lambda v: f"batch {v}",
    "max_steps": lambda v: f"{v:,} steps",
    "seed": lambda v: f"seed {v}",
}
_TRAIN_FIELDS = ("learning_rate", "batch_size", "max_steps", "seed")


def differences(baseline: TrainingRequest, other: TrainingRequest) -> list[str]:
    """What `other` changes from `baseline`, in a few words each (empty: the same settings)."""
    words = []
    for f in fields(ModelConfig):
        if f.name == "vocab_size":
            continue
        a, b = getattr(baseline.model, f.name), getattr(other.model, f.name)
        if a != b and not _irrelevant(f.name, other.model):
            words.append(_SHORT.get(f.name, lambda v, n=f.name: f"{n} {v}")(b))
    for name in _TRAIN_FIELDS:
        a, b = getattr(baseline.train, name), getattr(other.train, name)
        if a != b:
            words.append(_SHORT[name](b))
    if baseline.label != other.label:
        words.append(other.label)
    return words


def _irrelevant(name: str, cfg: ModelConfig) -> bool:
    """Settings that do nothing in this model (routing without experts, K/V heads without attention)."""
    if name in ("expert_top_k", "balance_loss"):
        return cfg.n_expert == 0
    if name in ("n_kv_head", "causal", "n_head") and not cfg.attention:
        return True
    return False


def run_name(number: int, baseline: TrainingRequest | None, request: TrainingRequest) -> str:
    """The run's legend entry: "#2 · no positions", "#1 · baseline"."""
    if baseline is None or baseline is request:
        return f"#{number} · baseline"
    diff = differences(baseline, request)
    return f"#{number} · {', '.join(diff) if diff else 'same as baseline'}"


@dataclass(frozen=True)
class Experiment:
    key: str
    title: str
    explain: str  # two sentences: what to look for
    variants: tuple[ModelConfig, ...]  # the models compared; the first is the baseline


_SMALL = SIZES["small"][1]
_DEEP = SIZES["tall"][1]
EXPERIMENTS = (
    Experiment(
        "positions", "No positional embeddings",
        "Without positions the model sees the characters before it as a bag: it knows which letters came "
        "before, not in what order. Watch the pink curves part and the samples lose their spelling.",
        (_SMALL, replace(_SMALL, position="none")),
    ),
    Experiment(
        "residuals", "No residual connections in a deeper model",
        "Four blocks stacked without the shortcut that lets information skip a block: the signal and its "
        "corrections must squeeze through every layer. Watch the run without residuals barely get past "
        "letter frequencies while the baseline spells.",
        (_DEEP, replace(_DEEP, residual=False)),
    ),
    Experiment(
        "heads", "One head vs four heads",
        "The same 32 numbers per character, read by one attention head of size 32 or by four heads of size 8 "
        "that can each look for something different. Same parameter count: at this size the curves stay close, "
        "with four heads a little ahead.",
        (replace(_SMALL, n_head=1), replace(_SMALL, n_head=4)),
    ),
    Experiment(
        "causal", "Causal mask off",
        "Without the mask each character can see the next one, so predicting it is easy: the loss drops "
        "towards zero. But the loss lies: when the model writes there is no future to peek at, and the "
        "samples are gibberish.",
        (_SMALL, replace(_SMALL, causal=False)),
    ),
)


def experiment_requests(experiment: Experiment, text: str, label: str,
                        train: TrainConfig = LAB_TRAIN) -> list[TrainingRequest]:
    return [TrainingRequest(text, model, train, label=label) for model in experiment.variants]


def settings_text(request: TrainingRequest) -> str:
    """Every setting of a run in one line: shape, the parts that are on or swapped, training."""
    m, t = request.model, request.train
    parts = [f"{m.n_layer} layers × {m.n_head} heads × {m.n_embd} dims", _SHORT["position"](m.position)]
    parts += [_SHORT[sw.field](getattr(m, sw.field)) for sw in SWITCHES[1:]]
    if m.n_kv_head:
        parts.append(_SHORT["n_kv_head"](m.n_kv_head))
    if m.n_expert:
        parts += [_SHORT["n_expert"](m.n_expert), _SHORT["expert_top_k"](m.expert_top_k), _SHORT["balance_loss"](m.balance_loss)]
    if m.dropout:
        parts.append(_SHORT["dropout"](m.dropout))
    parts += [f"block {m.block_size}", f"lr {t.learning_rate:g}", f"batch {t.batch_size}", f"{t.max_steps:,} steps",
              f"seed {t.seed}", request.label]
    return " · ".join(parts)


def run_summary(name: str, history: History, parameters: int) -> dict:
    """One row of the comparison table."""
    last = history.checkpoints[-1] if history.checkpoints else None
    req = history.request
    return {
        "Run": name,
        "Settings": settings_text(req) if req else "",
        "Parameters": parameters,
        "Steps": history.step,
        "Train loss": round(last.train_loss, 3) if last else None,
        "Val loss": round(last.val_loss, 3) if last else None,
        "Best val": round(min(c.val_loss for c in history.checkpoints), 3) if last else None,
        "Time (s)": round(history.seconds, 1) if history.seconds is not None else None,
        "Sample": last.sample if last else "",
    }
