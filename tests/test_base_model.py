"""The pretrained base model and fine-tuning from it: its file and card, the vocabulary that loses
no character of any text, weights copied into a fine-tuned model, and the checkpoint selection."""
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from llmbreaker.engine import base_model
from llmbreaker.engine.base_model import BASE_VOCAB, base_tokenizer, clean_text, load_base, unseen_share
from llmbreaker.engine.model_io import load_model, save_model
from llmbreaker.lessons.style_recipes import FINETUNE_MODEL, opening_words, recipe
from llmbreaker.engine.trainer import TrainConfig, Trainer

DATA = Path(__file__).parent / "data"
OTHER_SCRIPTS = sorted((DATA / "other_scripts").glob("*.txt"))
EMAIL = (DATA / "style_email.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("text", [
    "Café naïve façade — “quoted” – dashes… €5 £3 20°",
    "Αθήνα, καλημέρα σας! Ελληνικά.",
    "Tiếng Việt có dấu: Nam Định, phở, cảm ơn",
    "我们周末去杭州,西湖很美。",
    "emoji 😀👍🏽 and ZWJ-free text, tabs\tand\u00a0spaces",
    "e\u0301 composed, \r\n line ends \r old Mac",
] + [p.read_text(encoding="utf-8") for p in OTHER_SCRIPTS])
def test_any_text_round_trips_through_the_base_vocabulary_extended_by_its_new_characters(text):
    cleaned = clean_text(text)
    tok = base_tokenizer().extended(cleaned)
    assert tok.decode(tok.encode(cleaned)) == cleaned  # no character lost or changed
    assert tok.chars[: len(BASE_VOCAB)] == list(BASE_VOCAB)  # the base's ids are untouched
    assert len(set(tok.chars)) == len(tok.chars)
    # Only control and invisible characters are dropped; every visible one is kept.
    visible = [c for c in text if c.isprintable() and c not in "\u00a0\t"]
    assert all(c in cleaned for c in visible if c != "\u0301")


def test_clean_text_keeps_typography_and_maps_only_spacing():
    assert clean_text("“Hi” – it’s\r\nfine…\tok\u00a0\u200b!") == "“Hi” – it’s\nfine… ok !"
    assert clean_text("e\u0301") == "é" and clean_text("a\x00b\x07c") == "abc"


def test_the_committed_base_model_loads_and_its_card_describes_it():
    base = load_base()
    card = base.card
    assert base.tokenizer.chars == list(BASE_VOCAB)
    assert card["parameters"] == sum(p.numel() for p in base.model.parameters())
    assert card["config"] == base.model.config.to_dict()
    assert card["vocabulary"] == len(BASE_VOCAB)
    assert card["corpus_characters"] == sum(s["characters"] for s in card["sources"]) > 5_000_000
    assert {s["name"] for s in card["sources"]} == {"modern", "plays", "stories", "poems"}
    assert 0 < card["validation_loss"]["modern"] < 2.0 and card["steps"] > 0 and card["hardware"]
    assert not any(p.requires_grad for p in base.model.parameters())  # read-only: fine-tuning copies it
    # It reads English: on a text it never saw, its loss is far below guessing among its characters.
    tok = base.tokenizer
    ids = torch.tensor([tok.encode(clean_text(EMAIL))[:129]])
    _, loss, _ = base.model(ids[:, :-1], ids[:, 1:])
    assert loss.item() < 2.2 < torch.log(torch.tensor(float(len(BASE_VOCAB)))).item()


def test_the_base_file_is_validated_like_any_model_file():
    data = base_model.BASE_MODEL_FILE.read_bytes()
    model, tok = load_model(data)
    assert tok.chars == list(BASE_VOCAB)
    # A fine-tuned model's vocabulary (base order, new characters appended) survives saving.
    t = Trainer("Καλημέρα φίλε μου. " * 60, FINETUNE_MODEL, _short_finetune(max_steps=10), base=load_base())
    t.step()
    again, tok2 = load_model(save_model(t))
    assert tok2.chars == t.tokenizer.chars and tok2.chars[: len(BASE_VOCAB)] == list(BASE_VOCAB)
    assert "Κ" in tok2.chars[len(BASE_VOCAB):]


def _short_finetune(**overrides) -> TrainConfig:
    _, cfg = recipe(EMAIL, "finetune")
    return replace(cfg, time_budget=0, **overrides)


def test_a_fine_tuned_model_starts_as_the_base_and_appends_new_characters():
    base = load_base()
    text = EMAIL + "\nΣτείλε μου ένα μήνυμα. 我们走吧。"
    t = Trainer(text, FINETUNE_MODEL, _short_finetune(), base=base)
    n = len(BASE_VOCAB)
    assert t.model_config.n_embd == base.model.config.n_embd and t.model_config.n_layer == base.model.config.n_layer
    assert t.model_config.dropout == FINETUNE_MODEL.dropout
    new = sorted(set(text) - set(BASE_VOCAB))
    assert t.tokenizer.chars == list(BASE_VOCAB) + new
    ours, theirs = t.model.state_dict(), base.model.state_dict()
    for name, p in theirs.items():
        if name == "tok_emb.weight":
            assert torch.equal(ours[name][:n], p) and ours[name].shape[0] == n + len(new)
        else:
            assert torch.equal(ours[name], p), name
    # Before any step it writes as the base does; the base itself never changes while it trains.
    before = {k: v.clone() for k, v in theirs.items()}
    for _ in range(3):
        t.step()
    assert all(torch.equal(before[k], v) for k, v in base.model.state_dict().items())
    assert not torch.equal(t.model.state_dict()["blocks.0.attn.qkv.weight"], before["blocks.0.attn.qkv.weight"])


def test_fine_tuning_keeps_the_checkpoint_with_most_author_words_within_the_copy_limit():
    t = Trainer(EMAIL, FINETUNE_MODEL, _short_finetune(max_steps=30), base=load_base())
    seen = []
    seen.append((t.step_count, t.checkpoint().sample))
    while not t.done:
        t.step()
        if t.is_checkpoint_step():
            seen.append((t.step_count, t.checkpoint().sample))
    from llmbreaker.lessons import style

    def score(sample):
        _, copied = style.longest_copied_run(sample, EMAIL)
        return style.author_word_share(sample, EMAIL) if copied <= t.config.max_copied_words else -1.0

    best = max(seen, key=lambda s: (score(s[1]), -s[0]))
    assert t.best_step == best[0]
    assert t.config.prompt == opening_words(EMAIL)
    # Samples continue the text's opening words, where the page's own text starts.
    assert t.tokenizer.decode(t.prompt_ids.tolist()) == opening_words(EMAIL)
    # With keep_best, the model handed over is the chosen checkpoint's, not the last one's.
    best_state = {k: v.clone() for k, v in t._best_state.items()}
    t.restore_best()
    assert all(torch.equal(best_state[k], v) for k, v in t.model.state_dict().items())


def test_unseen_share_names_the_characters_the_base_never_read():
    share, new = unseen_share("abc Ωμέγα")
    assert new[0] in "Ωμέγα" and set(new) == set("Ωμέγα") and share == pytest.approx(5 / 9)
    assert unseen_share(EMAIL)[0] < 0.01


def test_a_150_word_email_can_be_fine_tuned_on_shorter_windows():
    short = " ".join(EMAIL.split()[:150])  # about 900 characters: a 90-character validation part
    t = Trainer(short, FINETUNE_MODEL, _short_finetune(max_steps=10), base=load_base())
    assert 32 <= t.window < t.model_config.block_size == 128
    assert t.eval_sets["val"][0].shape[1] == t.window
    t.step()
    assert len(t.checkpoint().sample) == t.config.sample_chars
