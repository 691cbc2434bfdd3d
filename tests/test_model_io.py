"""Saving and loading models: a faithful round trip, and refusal of anything that is not ours."""
import io
import os
import pickle

import pytest
import torch

from llmbreaker.engine.corpus import CharTokenizer
from llmbreaker.engine.errors import UserInputError
from llmbreaker.engine.model import MicroGPT, ModelConfig
from llmbreaker.engine.model_io import FORMAT, MAX_MODEL_BYTES, load_model, save_model
from llmbreaker.engine.trainer import TrainConfig, Trainer

TEXT = "the quick brown fox jumps over the lazy dog. " * 40


def _model(**overrides) -> tuple[MicroGPT, CharTokenizer]:
    tok = CharTokenizer.from_text(TEXT)
    torch.manual_seed(0)
    return MicroGPT(ModelConfig(vocab_size=tok.vocab_size, **overrides)), tok


def _payload(model: MicroGPT, tok: CharTokenizer) -> dict:
    return {"format": FORMAT, "version": 1, "config": model.config.to_dict(), "vocab": list(tok.chars),
            "state_dict": {k: v.clone() for k, v in model.state_dict().items()}}


def _torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _refused(data: bytes, code: str = "model_invalid", ours: bool = False) -> UserInputError:
    with pytest.raises(UserInputError) as err:
        load_model(data)
    assert err.value.code == code
    assert "read as text" not in err.value.message  # a model file is not meant to be text (docs/design.md §Robustness)
    if code == "model_invalid":
        assert ("not a model file saved by LLMBreaker" in err.value.message) != ours
        assert "Download the trained model" in err.value.message  # what to do next
    return err.value


def test_round_trip_gives_the_same_logits_and_vocabulary():
    model, tok = _model(n_embd=24, n_layer=3, n_head=4, block_size=32)
    with torch.no_grad():
        model.tok_emb.weight.add_(torch.randn_like(model.tok_emb.weight))  # not just the initial weights
    data = save_model(model, tok)
    loaded, tok2 = load_model(data)
    assert tok2.chars == tok.chars and loaded.config == model.config and not loaded.training
    x = torch.tensor([tok.encode("the lazy dog")])
    model.eval()
    assert torch.equal(model(x)[0], loaded(x)[0])
    assert all(p.device.type == "cpu" for p in loaded.parameters())


def test_round_trip_from_a_trainer_and_generation_works():
    trainer = Trainer(TEXT, ModelConfig(n_embd=16, n_layer=1, n_head=2, block_size=16),
                      TrainConfig(max_steps=10, eval_interval=5))
    for _ in range(3):
        trainer.step()
    loaded, tok = load_model(save_model(trainer))
    assert tok.chars == trainer.tokenizer.chars
    x = trainer.val_ids[:16].view(1, -1)
    trainer.model.eval()
    assert torch.equal(trainer.model(x)[0], loaded(x)[0])
    ids, probs = loaded.generate(torch.tensor(tok.encode("the")), 20, generator=torch.Generator().manual_seed(1))
    assert len(ids) == 20 and all(0 < p <= 1 for p in probs)


def test_loading_leaves_the_global_random_generator_alone():
    data = save_model(*_model())
    state = torch.random.get_rng_state()
    load_model(data)
    assert torch.equal(state, torch.random.get_rng_state())


def test_random_bytes_and_other_files_are_refused():
    _refused(os.urandom(5000))
    _refused(b"")
    _refused(b"PK\x03\x04" + os.urandom(500))
    _refused(_torch_bytes([1, 2, 3]))
    _refused(_torch_bytes({"just": torch.zeros(3)}))


def test_a_file_over_10_mb_is_refused_before_reading():
    _refused(b"\0" * (MAX_MODEL_BYTES + 1), code="file_too_large")


@pytest.mark.parametrize("change", [
    lambda p: p.update(extra="hello"),  # an extra top-level key
    lambda p: p.pop("vocab"),
    lambda p: p.update(format="something-else"),
    lambda p: p.update(version=2),
    lambda p: p.update(version=True),
    lambda p: p["state_dict"].update(extra=torch.zeros(2)),  # an extra tensor
    lambda p: p["state_dict"].pop("ln_f.bias"),
    lambda p: p["state_dict"].update({"tok_emb.weight": torch.zeros(3, 16)}),  # wrong shape
    lambda p: p["state_dict"].update({"ln_f.bias": torch.full((16,), float("nan"))}),
    lambda p: p["state_dict"].update({"ln_f.weight": torch.full((16,), float("inf"))}),
    lambda p: p["state_dict"].update({"ln_f.bias": [0.0] * 16}),  # not a tensor
    lambda p: p.update(vocab=p["vocab"][:-1] + ["ab"]),  # not one character
    lambda p: p.update(vocab=p["vocab"][:-1] + [p["vocab"][0]]),  # a repeat
    lambda p: p.update(vocab="".join(p["vocab"])),  # not a list
    lambda p: p["config"].update(extra=1),
    lambda p: p["config"].update(vocab_size=p["config"]["vocab_size"] + 1),  # != len(vocab)
    lambda p: p["config"].update(n_embd=15, n_head=2),  # n_head does not divide n_embd
    lambda p: p["config"].update(n_embd=512, n_head=2),  # over the bound
    lambda p: p["config"].update(n_layer=0),
    lambda p: p["config"].update(n_layer=9),
    lambda p: p["config"].update(block_size=4),
    lambda p: p["config"].update(n_head=2.0),  # not an int
    lambda p: p["config"].update(n_layer=True),
    lambda p: p["config"].update(dropout=0.9),
    lambda p: p["config"].update(dropout=float("nan")),
])
def test_invalid_contents_are_refused(change):
    payload = _payload(*_model())
    change(payload)
    _refused(_torch_bytes(payload))


def test_vocab_size_bounds():
    tok = CharTokenizer("a")  # one character: under the minimum of 2
    model = MicroGPT(ModelConfig(vocab_size=1))
    _refused(_torch_bytes(_payload(model, tok)))


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch's note on the plain pickle
@pytest.mark.parametrize("wrap", [
    lambda bomb, payload: bomb,  # the whole file
    lambda bomb, payload: {**payload, "vocab": bomb},  # hidden inside an otherwise valid file
])
def test_a_pickle_that_runs_code_is_refused_without_running_it(tmp_path, wrap):
    """(Loaded with weights_only=False, the same bytes do create the marker file.)"""
    marker = tmp_path / "pwned"
    data = _torch_bytes(wrap(_Exploit(marker), _payload(*_model())))
    assert b"system" in data
    _refused(data)
    assert not marker.exists()
    # and a plain (non-torch) pickle of the same
    _refused(pickle.dumps(_Exploit(marker)))
    assert not marker.exists()


def test_save_model_checks_its_inputs():
    model, tok = _model()
    with pytest.raises(ValueError):
        save_model(model)  # no vocabulary
    with pytest.raises(ValueError):
        save_model(model, tok.chars[:-1])  # vocabulary of another size
    assert load_model(save_model(model, "".join(tok.chars)))[1].chars == tok.chars  # a string works too


# -- hostile files (docs/design.md §Robustness): refused before torch allocates anything -------------------

import hostile_files as hf  # noqa: E402
from llmbreaker.engine.model_io import MAX_PARAMS, ModelRefused, parameter_count  # noqa: E402


def _never_loaded(monkeypatch):
    """torch.load must not even start on these: it would allocate what the file claims."""
    def fail(*a, **k):
        raise AssertionError("torch.load was called")
    monkeypatch.setattr(torch, "load", fail)


@pytest.mark.parametrize("gib", [1, 4])
def test_a_record_that_inflates_to_gigabytes_is_refused_before_torch_reads_it(monkeypatch, gib):
    data = hf.zip_bomb_model_file(gib)
    assert len(data) < gib * 1.1e6  # about 1 MB per GiB on disk
    _never_loaded(monkeypatch)
    assert "compressed" in _refused(data).message


@pytest.mark.parametrize("gib", [1, 4])
def test_a_record_that_claims_more_than_the_file_holds_is_refused(monkeypatch, gib):
    data = hf.declared_size_model_file(gib)
    _never_loaded(monkeypatch)
    assert "more than the file holds" in _refused(data).message


def test_a_10000_entry_archive_is_refused_from_its_end_record(monkeypatch):
    data = hf.many_entries_model_file(10_000)
    _never_loaded(monkeypatch)
    # zipfile would build 10,000 entry objects; the count is read from the end record instead
    monkeypatch.setattr("zipfile.ZipFile", lambda *a, **k: (_ for _ in ()).throw(AssertionError("listed")))
    assert "10,010 parts" in _refused(data).message or "parts" in _refused(data).message


def test_stride0_tensors_of_a_huge_model_are_refused_by_the_parameter_budget():
    data = hf.stride0_model_file()
    assert len(data) < 64_000  # tiny on disk
    err = _refused(data, ours=True)
    assert "69.6 million parameters" in err.message and f"{MAX_PARAMS / 1e6:.1f} million" in err.message


@pytest.mark.parametrize("make", [hf.stride0_small_model_file, hf.big_storage_model_file])
def test_a_tensor_whose_storage_is_not_exactly_its_numbers_is_refused(make):
    assert "plain block of its own numbers" in _refused(make()).message


def test_a_float64_model_says_its_numbers_have_another_precision():
    err = _refused(hf.float64_model_file(), ours=True)
    assert "stored in a different precision" in err.message and "64-bit" in err.message
    assert "has shape" not in err.message


def test_the_style_base_model_size_fits_the_budget_with_a_fine_tuned_vocabulary():
    """The lead's base model (up to ~2 M parameters, 192 dims, block 128) with its ~130 characters
    plus a person's new ones loads; one of 69.6 M parameters does not."""
    from llmbreaker.engine.corpus import MAX_VOCAB
    cfg = ModelConfig(vocab_size=MAX_VOCAB, n_embd=192, n_layer=4, n_head=6, block_size=128)
    assert parameter_count(cfg) <= MAX_PARAMS
    model = MicroGPT(cfg)
    chars = [chr(32 + i) for i in range(95)] + [chr(0x4E00 + i) for i in range(MAX_VOCAB - 95)]
    loaded, tok = load_model(save_model(model, chars))
    assert tok.vocab_size == MAX_VOCAB and loaded.config.block_size == 128


def test_a_vocabulary_over_the_cap_is_named_in_plain_words():
    cfg = ModelConfig(vocab_size=1500)
    model = MicroGPT(cfg)
    data = save_model(model, [chr(0x4E00 + i) for i in range(1500)])
    with pytest.raises(ModelRefused) as err:
        load_model(data)
    assert "vocabulary has 1,500 characters" in err.value.reason and "file" not in err.value.reason
