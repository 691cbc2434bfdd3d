"""One description of each model everywhere (docs/design.md §Consistency): the app's own model has the same
vocabulary, parameter count and name on every page, and a size's name means one shape."""
import re

import pytest

from llmbreaker.lessons import lab, our_model
from llmbreaker.engine.corpus import bundled_text
from llmbreaker.lessons.journey import STATIONS, default_source
from llmbreaker.engine.model import MicroGPT
from llmbreaker.engine.model_io import load_model
from llmbreaker.engine.presets import MODEL_SIZE_CAPTIONS, MODEL_SIZE_LABELS, MODEL_SIZES, default_model_size
from llmbreaker.lessons.registry import BY_KEY
from llmbreaker.engine.trainer import TrainConfig, Trainer
from llmbreaker.lessons.explain import explain


def test_the_vocabulary_is_the_one_the_trainer_builds_for_shakespeare():
    text = bundled_text("shakespeare")
    assert our_model.vocab_size() == len(set(text)) == 63  # not Tiny Shakespeare's 65
    trainer = Trainer(text, MODEL_SIZES["small"], TrainConfig(max_steps=10, eval_interval=10, eval_batches=1))
    assert trainer.tokenizer.vocab_size == our_model.vocab_size()
    assert sum(p.numel() for p in trainer.model.parameters()) == our_model.parameters() == 29_344


def test_the_compare_row_is_the_model_the_pages_train():
    m = BY_KEY["microgpt"]
    assert m.vocab_size == our_model.vocab_size() and m.published_total == our_model.parameters()
    assert our_model.name() in m.name
    real = sum(p.numel() for p in MicroGPT(our_model.config()).parameters())
    assert real == m.published_total
    train = TrainConfig()
    assert m.training_tokens == train.max_steps * train.batch_size * m.context  # batch 16 now, not 32


def test_the_journeys_bundled_model_is_the_same_model():
    model, tokenizer = load_model(default_source().data)
    assert model.config == our_model.config() and tokenizer.vocab_size == our_model.vocab_size()
    assert sum(p.numel() for p in model.parameters()) == our_model.parameters()


def test_the_words_count_the_model_the_page_trains():
    watch = our_model.parameters(default_model_size("watch"))
    assert our_model.about(watch) in explain("watch") and "30,000" not in explain("watch")
    assert our_model.about(our_model.parameters()) in explain("journey") and "30,000" not in explain("journey")
    station = next(s for s in STATIONS if s.key == "model")
    assert our_model.about(our_model.parameters()) in station.summary
    assert our_model.about(29_344) == "about 29,000" and our_model.about(58_048) == "about 58,000"


@pytest.mark.parametrize("size", list(MODEL_SIZES))
def test_every_size_caption_counts_its_parameters(size):
    cfg = MODEL_SIZES[size]
    caption = MODEL_SIZE_CAPTIONS[size]
    assert f"{cfg.n_embd} dims" in caption and f"{cfg.n_layer} layer" in caption and f"{cfg.n_head} heads" in caption
    shown = float(re.search(r"~([\d.]+) K parameters", caption).group(1)) * 1000
    assert shown == pytest.approx(our_model.parameters(size), abs=50 if shown < 10_000 else 500)


def test_a_lab_size_with_a_pages_name_is_that_pages_model():
    names = {label.lower(): key for key, label in MODEL_SIZE_LABELS.items()}
    for key, (label, cfg) in lab.SIZES.items():
        name = label.split(" · ")[0].lower()
        if name in names:  # the same name: the same model as on Watch, Cinema, MoE, Inside
            assert cfg == MODEL_SIZES[names[name]], label
        shown = float(re.search(r"~([\d.]+) K", label).group(1)) * 1000
        assert shown == pytest.approx(our_model.parameters_of(cfg), abs=50 if shown < 10_000 else 500), label
        assert f"{cfg.n_layer} layers" in label or cfg == MODEL_SIZES["tiny"] or f"{cfg.n_embd} dims" in label
    assert "deeper" not in lab.SIZES or lab.SIZES["deeper"][1] == MODEL_SIZES["deeper"]
