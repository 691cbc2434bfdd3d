"""Saving a trained model for download, and loading one back safely.

The file is `torch.save` of a plain dict:
    {"format": "llmbreaker-model", "version": 1, "config": ModelConfig as a dict,
     "vocab": the tokenizer's characters in token-id order, "state_dict": the model's tensors}

Loading never trusts the file. `torch.load(..., weights_only=True)` only rebuilds tensors and plain
containers: a pickle that names a function to call (os.system, eval, ...) is refused before anything
runs. The contents are then checked (keys, bounds, vocabulary, exact tensor names, shapes and dtypes,
finite values) before a model is built, so a file cannot make the app allocate a huge model or load
garbage into one.
"""
from __future__ import annotations

import io
import math
from dataclasses import fields

import torch

from llmbreaker.engine.corpus import MAX_VOCAB, CharTokenizer
from llmbreaker.engine.errors import UserInputError
from llmbreaker.engine.model import MicroGPT, ModelConfig
from llmbreaker.engine.zipguard import ZipRefused, check_zip

FORMAT = "llmbreaker-model"
VERSION = 1
# The uploader's limit (server.maxUploadSize), and what the parameter budget below weighs in float32.
MAX_MODEL_BYTES = 10 * 1024 * 1024
# A step and a 400-character generation stay within seconds on a 2-core machine up to here
# (bench/vocab_cost.py: a 2.7 M-parameter model generates 400 characters in ~5 s); it admits the
# Style page's ~2 M-parameter base model and its fine-tuned copies (a few hundred more characters).
MAX_PARAMS = 2_500_000
KEYS = {"format", "version", "config", "vocab", "state_dict"}
# Inclusive bounds of the config values a file may have (the app's presets are far inside them).
CONFIG_BOUNDS = {
    "n_embd": (8, 256),
    "n_layer": (1, 8),
    "n_head": (1, 16),
    "block_size": (8, 256),
    "vocab_size": (2, MAX_VOCAB),
    "dropout": (0.0, 0.5),
}
MAX_EXPERTS = 16
# A model of 8 layers with 16 experts has about 600 tensors, each one zip member, plus a handful.
MAX_MEMBERS = 1000
MAX_PICKLE_BYTES = 1024 * 1024  # data.pkl: tensor names, settings and <= MAX_VOCAB characters (a few KB)

NOT_OURS = "It is not a model file saved by LLMBreaker"
NEXT = "Choose a model file from LLMBreaker's \"Download the trained model\" button."


class ModelRefused(UserInputError):
    """A model that cannot be used. `reason` says why in plain words, without mentioning files, so a
    page that shows the app's own model (not an upload) can use it as it is."""

    def __init__(self, reason: str, ours: bool = False):
        self.reason = reason
        detail = f"{reason[0].upper()}{reason[1:]}." if ours else f"{NOT_OURS}, or it is damaged: {reason}."
        super().__init__("model_invalid", f"{detail} {NEXT}")


def _refuse(why: str) -> ModelRefused:
    return ModelRefused(why)


def save_model(source, vocab=None, config: ModelConfig | None = None) -> bytes:
    """A model as bytes for a download.

    `source` is a Trainer (its model and tokenizer are used) or a MicroGPT, then with `vocab` (a
    CharTokenizer, or its characters as a list or string in token order) and optionally `config`
    (default: the model's own).
    """
    if isinstance(source, MicroGPT):
        model = source
        if vocab is None:
            raise ValueError("save_model(model, vocab): the vocabulary is needed with a bare model")
    else:  # a Trainer
        model, vocab = source.model, source.tokenizer
    chars = list(vocab.chars if isinstance(vocab, CharTokenizer) else vocab)
    config = config or model.config
    if config.vocab_size != len(chars):
        raise ValueError(f"the config's vocab_size ({config.vocab_size}) is not the vocabulary's size ({len(chars)})")
    # clone(): a snapshot even if a training thread steps the model meanwhile.
    state = {k: v.detach().to("cpu", copy=True).contiguous() for k, v in model.state_dict().items()}
    buf = io.BytesIO()
    torch.save({"format": FORMAT, "version": VERSION, "config": config.to_dict(), "vocab": chars,
                "state_dict": state}, buf)
    return buf.getvalue()


def _check_config(raw) -> ModelConfig:
    names = {f.name for f in fields(ModelConfig)}
    # Files saved before the architecture switches existed lack them: they were the defaults.
    if not isinstance(raw, dict) or not set(CONFIG_BOUNDS) <= set(raw) <= names:
        raise _refuse("its settings are not a model's settings")
    defaults = ModelConfig()
    for name in set(raw) - set(CONFIG_BOUNDS):
        expected = type(getattr(defaults, name))
        value = raw[name]
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
              if expected is float else type(value) is expected)
        if not ok:
            raise _refuse(f"{name} is not a {expected.__name__}")
    for name, (lo, hi) in CONFIG_BOUNDS.items():
        value = raw[name]
        if name == "dropout":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        else:
            ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok or not (lo <= value <= hi):
            if ok and name == "vocab_size" and value > hi:
                raise ModelRefused(f"its vocabulary has {value:,} characters, more than the {hi:,} these pages "
                                   f"can work with", ours=True)
            raise _refuse(f"{name} must be between {lo} and {hi}")
    if raw["n_embd"] % raw["n_head"]:
        raise _refuse("n_embd must be a multiple of n_head")
    if not 0 <= raw.get("n_expert", 0) <= MAX_EXPERTS or not 0 <= raw.get("n_kv_head", 0) <= raw["n_head"]:
        raise _refuse(f"it has more experts ({MAX_EXPERTS} at most) or key/value heads than it can")
    try:
        return ModelConfig(**raw)
    except ValueError as e:
        raise _refuse(str(e)) from None


def _check_vocab(vocab, size: int) -> list[str]:
    if (not isinstance(vocab, list) or len(vocab) != size
            or not all(isinstance(c, str) and len(c) == 1 for c in vocab)):
        raise _refuse("its vocabulary is not a list of single characters of the model's size")
    # The list's order is the token ids' order (sorted for a model trained from scratch; a
    # fine-tuned one appends characters its base never saw): only duplicates are impossible.
    if len(set(vocab)) != len(vocab):
        raise _refuse("its vocabulary lists a character twice")
    return vocab


_PRECISION = {torch.float32: "32-bit", torch.float64: "64-bit", torch.float16: "16-bit", torch.bfloat16: "16-bit"}


def _check_state(state, model: MicroGPT) -> None:
    expected = model.state_dict()
    if not isinstance(state, dict) or set(state) != set(expected):
        raise _refuse("its weights do not match the model's layers")
    for name, ref in expected.items():
        t = state[name]
        if not isinstance(t, torch.Tensor) or t.layout != torch.strided or t.is_quantized or t.device.type != "cpu":
            raise _refuse(f"{name} is not a plain tensor")
        if t.dtype != ref.dtype:
            stored = _PRECISION.get(t.dtype, str(t.dtype).removeprefix("torch."))
            raise ModelRefused(f"its numbers are stored in a different precision ({stored} in {name}; this app's "
                               f"models use 32-bit numbers)", ours=True)
        if t.shape != ref.shape:
            raise _refuse(f"{name} has shape {tuple(t.shape)}, but its settings need {tuple(ref.shape)}")
        # The storage must be the tensor, exactly: a tensor that is a stride-0 view of one number
        # (or a window into a large storage) passes every shape check yet becomes a full copy, or
        # hides memory, when loaded.
        if (not t.is_contiguous() or t.storage_offset() != 0
                or t.untyped_storage().nbytes() != t.numel() * t.element_size()):
            raise _refuse(f"{name} is not stored as a plain block of its own numbers")
        if not bool(torch.isfinite(t).all()):
            raise _refuse(f"{name} holds infinite or NaN values")


def parameter_count(config: ModelConfig) -> int:
    """The model's parameters, counted on the meta device (no memory)."""
    with torch.device("meta"):
        return sum(p.numel() for p in MicroGPT(config).parameters())


def check_budget(config: ModelConfig) -> None:
    """Refuse a model too large to run here, before any of it is allocated."""
    n = parameter_count(config)
    if n > MAX_PARAMS:
        raise ModelRefused(f"it has {n / 1e6:.1f} million parameters, more than the {MAX_PARAMS / 1e6:.1f} million "
                           f"this app can run (a step or a generation would take minutes)", ours=True)
    if config.vocab_size > MAX_VOCAB:
        raise ModelRefused(f"its vocabulary has {config.vocab_size:,} characters, more than the {MAX_VOCAB:,} "
                           f"these pages can work with", ours=True)


def _check_archive(data: bytes) -> None:
    """Before torch reads anything: a zip archive (what torch.save writes) whose parts are stored,
    few, and no bigger than the file, so torch cannot be made to allocate more than the file weighs."""
    try:
        members = check_zip(data, max_members=MAX_MEMBERS, max_total=len(data), stored_only=True)
    except ZipRefused as e:
        if e.kind == "not_zip":
            raise _refuse("it is not the kind of file LLMBreaker's download button makes") from None
        raise _refuse(e.reason) from None
    if any(m.name.endswith("/data.pkl") and m.size > MAX_PICKLE_BYTES for m in members):
        raise _refuse("its description part is far larger than a model's")


def load_model(data: bytes) -> tuple[MicroGPT, CharTokenizer]:
    """Bytes of a file from `save_model` -> (model in eval mode, tokenizer).

    Raises UserInputError("file_too_large") over 10 MB and ModelRefused (a UserInputError,
    "model_invalid") for anything else that is not a valid LLMBreaker model file this app can run.
    Nothing is allocated beyond the file's own size before every bound has been checked.
    """
    if len(data) > MAX_MODEL_BYTES:
        raise UserInputError("file_too_large", f"This file is {len(data) / 1e6:.1f} MB.")
    _check_archive(data)
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception:  # UnpicklingError (also for code a pickle tries to run), RuntimeError, EOFError, ...
        raise _refuse("its contents could not be read as a model's weights") from None
    if not isinstance(obj, dict) or set(obj) != KEYS:
        raise _refuse("its contents are not those of a model file")
    if obj["format"] != FORMAT or type(obj["version"]) is not int or obj["version"] != VERSION:
        raise _refuse("its format or version is not one this app reads")
    config = _check_config(obj["config"])
    check_budget(config)
    vocab = _check_vocab(obj["vocab"], config.vocab_size)
    # Built on the meta device: shapes only, no memory and no draws from the global random
    # generator (which training threads seed under trainer._INIT_LOCK). The checked tensors are
    # then used as its parameters (exactly their own storage, so no copy is needed; tied weights
    # stay one tensor).
    with torch.device("meta"):
        model = MicroGPT(config)
    _check_state(obj["state_dict"], model)
    model.load_state_dict(obj["state_dict"], strict=True, assign=True)
    model.compute_fixed_buffers()  # rotary tables are computed, not saved: still on meta
    model.eval()
    return model, CharTokenizer.from_chars(vocab)
