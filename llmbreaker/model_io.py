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

from .corpus import CharTokenizer
from .errors import UserInputError
from .model import MicroGPT, ModelConfig

FORMAT = "llmbreaker-model"
VERSION = 1
MAX_MODEL_BYTES = 10 * 1024 * 1024
KEYS = {"format", "version", "config", "vocab", "state_dict"}
# Inclusive bounds of the config values a file may have (the app's presets are far inside them).
CONFIG_BOUNDS = {
    "n_embd": (8, 256),
    "n_layer": (1, 8),
    "n_head": (1, 16),
    "block_size": (8, 256),
    "vocab_size": (2, 500),
    "dropout": (0.0, 0.5),
}
MAX_EXPERTS = 16
_NOT_OURS = "This is not a model file saved by LLMBreaker, or it is damaged."


def _refuse(why: str) -> UserInputError:
    return UserInputError("file_unreadable", f"{_NOT_OURS} ({why}) Choose a .pt file from LLMBreaker's download button.")


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


def _check_state(state, model: MicroGPT) -> None:
    expected = model.state_dict()
    if not isinstance(state, dict) or set(state) != set(expected):
        raise _refuse("its weights do not match the model's layers")
    for name, ref in expected.items():
        t = state[name]
        if not isinstance(t, torch.Tensor) or t.layout != torch.strided or t.is_quantized:
            raise _refuse(f"{name} is not a plain tensor")
        if t.shape != ref.shape or t.dtype != ref.dtype:
            raise _refuse(f"{name} has shape {tuple(t.shape)}, expected {tuple(ref.shape)}")
        if not bool(torch.isfinite(t).all()):
            raise _refuse(f"{name} holds infinite or NaN values")


def load_model(data: bytes) -> tuple[MicroGPT, CharTokenizer]:
    """Bytes of a file from `save_model` -> (model in eval mode, tokenizer).

    Raises UserInputError("file_too_large") over 10 MB and UserInputError("file_unreadable") for
    anything else that is not a valid LLMBreaker model file.
    """
    if len(data) > MAX_MODEL_BYTES:
        raise UserInputError("file_too_large", f"This file is {len(data) / 1e6:.1f} MB.")
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception:  # UnpicklingError (also for code a pickle tries to run), RuntimeError, EOFError, ...
        raise _refuse("it could not be read as a weights file")
    if not isinstance(obj, dict) or set(obj) != KEYS:
        raise _refuse("its contents are not those of a model file")
    if obj["format"] != FORMAT or type(obj["version"]) is not int or obj["version"] != VERSION:
        raise _refuse("its format or version is not one this app reads")
    config = _check_config(obj["config"])
    vocab = _check_vocab(obj["vocab"], config.vocab_size)
    # Built on the meta device: shapes only, no memory and no draws from the global random
    # generator (which training threads seed under trainer._INIT_LOCK). The checked tensors are then
    # copied in as its parameters.
    with torch.device("meta"):
        model = MicroGPT(config)
    _check_state(obj["state_dict"], model)
    state = {k: v.detach().clone(memory_format=torch.contiguous_format) for k, v in obj["state_dict"].items()}
    model.load_state_dict(state, strict=True, assign=True)
    model.compute_fixed_buffers()  # rotary tables are computed, not saved: still on meta
    model.eval()
    return model, CharTokenizer.from_chars(vocab)
