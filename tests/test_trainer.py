"""The training run: learning, checkpoints, schedule, reproducibility, bounds."""
import math

import numpy as np
import pytest

from llmbreaker.engine.corpus import bundled_text
from llmbreaker.engine.errors import UserInputError
from llmbreaker.engine.model import ModelConfig
from llmbreaker.engine.trainer import TrainConfig, Trainer

from conftest import TINY_MODEL, tiny_train


def test_same_seed_same_run_different_seed_different_run(poems):
    def run(seed):
        t = Trainer(poems, TINY_MODEL, tiny_train(seed=seed))
        losses = [t.step() for _ in range(15)]
        return losses, t.checkpoint()
    (la, ca), (lb, cb), (lc, _) = run(3), run(3), run(4)
    assert la == lb
    assert ca.sample == cb.sample and np.array_equal(ca.attention, cb.attention)
    assert la != lc


def test_loss_falls_on_shakespeare():
    t = Trainer(bundled_text("shakespeare"), ModelConfig(n_embd=32),
                TrainConfig(max_steps=400, eval_interval=400, warmup_steps=20))
    start = t.checkpoint()
    while not t.done:
        t.step()
    end = t.checkpoint()
    assert start.val_loss > 4.0  # about ln(63): guessing
    assert end.val_loss < 2.6, end.val_loss  # letter and pair statistics learned
    assert end.val_loss < start.val_loss - 1.4


def test_checkpoint_holds_everything_the_pages_show(poems):
    t = Trainer(poems, TINY_MODEL, tiny_train(sample_chars=100, top_k=5))
    c = t.checkpoint()  # step 0: the untrained model
    assert c.step == 0 and math.isfinite(c.train_loss) and math.isfinite(c.val_loss)
    assert len(c.sample) == 100
    n_probe = len(t.probe_tokens)
    assert 0 < n_probe <= TINY_MODEL.block_size
    assert c.attention.shape == (2, 2, n_probe, n_probe) and c.attention.dtype == np.float32
    probs = [p for _, p in c.next_token]
    assert len(probs) == 5 and probs == sorted(probs, reverse=True) and sum(probs) <= 1.0 + 1e-6
    assert all(ch in t.tokenizer.stoi for ch, _ in c.next_token)


def test_probe_text_is_fixed_and_cut_to_the_block(poems):
    long_probe = "the moon " * 20
    t = Trainer(poems, TINY_MODEL, tiny_train(probe_text=long_probe))
    assert "".join(t.probe_tokens) == long_probe[:TINY_MODEL.block_size]
    first = t.checkpoint().attention.shape
    for _ in range(10):
        t.step()
    assert t.checkpoint().attention.shape == first


def test_checkpoints_at_step_zero_every_interval_and_the_end(poems):
    assert TrainConfig(max_steps=1000, eval_interval=250).checkpoint_steps() == [0, 250, 500, 750, 1000]
    t = Trainer(poems, TINY_MODEL, tiny_train(max_steps=110, eval_interval=50))
    taken = [0] if t.is_checkpoint_step() else []
    while not t.done:
        t.step()
        if t.is_checkpoint_step():
            taken.append(t.step_count)
            t.checkpoint()  # the next one is counted from here
    assert taken == [0, 50, 100, 110] == t.config.checkpoint_steps()  # what the trainer does is what the list says


def test_under_a_time_budget_the_step_that_runs_out_of_time_is_a_checkpoint(poems):
    t = Trainer(poems, TINY_MODEL, tiny_train(max_steps=1000, eval_interval=50, time_budget=60.0))
    for _ in range(3):
        t.step()
    assert not t.is_checkpoint_step() and not t.done
    t.train_seconds = 60.0  # the budget is spent at step 3, between two checkpoints
    assert t.is_checkpoint_step() and t.done
    assert 3 not in t.config.checkpoint_steps()  # which a list of steps fixed in advance cannot say


def test_learning_rate_warms_up_then_decays_by_cosine(poems):
    t = Trainer(poems, TINY_MODEL, tiny_train(max_steps=1000, eval_interval=100, warmup_steps=100,
                                              learning_rate=1e-2, min_lr_ratio=0.1))
    assert t.lr_at(0) == pytest.approx(1e-4)
    assert t.lr_at(99) == pytest.approx(1e-2)
    assert t.lr_at(550) == pytest.approx(0.55e-2)  # halfway down the cosine: (peak + floor) / 2
    assert t.lr_at(1000) == pytest.approx(1e-3)
    lrs = [t.lr_at(s) for s in range(100, 1001, 50)]
    assert lrs == sorted(lrs, reverse=True)


@pytest.mark.parametrize("field, value", [("batch_size", 0), ("batch_size", 129), ("max_steps", 5),
                                          ("max_steps", 10_001), ("learning_rate", 0.2), ("eval_interval", 0)])
def test_settings_out_of_the_specs_bounds_are_refused(poems, field, value):
    with pytest.raises(UserInputError) as err:
        Trainer(poems, TINY_MODEL, tiny_train(**{field: value}))
    assert err.value.code == "invalid_setting"


def test_text_too_short_to_train_is_refused():
    with pytest.raises(UserInputError) as err:
        Trainer("a short text " * 5, TINY_MODEL, tiny_train())
    assert err.value.code == "text_too_short"


def test_a_time_budget_ends_the_run_with_a_checkpoint_and_a_finished_schedule(poems):
    from llmbreaker.engine.trainer import TrainConfig, Trainer
    from llmbreaker.engine.model import ModelConfig
    t = Trainer(poems, ModelConfig(n_embd=16, n_layer=1, n_head=2, block_size=32),
                TrainConfig(max_steps=10_000, eval_interval=5000, batch_size=8, warmup_steps=2, time_budget=0.5))
    checkpoints = 0
    while not t.done:
        t.step()
        if t.is_checkpoint_step():
            checkpoints += 1
    assert t.out_of_time and 0 < t.step_count < 10_000
    assert checkpoints >= 1  # the step that ran out of time is measured
    assert t.lr_at(t.step_count) == pytest.approx(t.config.learning_rate * t.config.min_lr_ratio, rel=1e-6)


def test_with_a_time_budget_warm_up_ends_on_time_even_if_few_steps_were_taken(poems):
    from llmbreaker.engine.trainer import TrainConfig, Trainer
    from llmbreaker.engine.model import ModelConfig
    t = Trainer(poems, ModelConfig(n_embd=16, n_layer=1, n_head=2, block_size=32),
                TrainConfig(max_steps=10_000, warmup_steps=100, time_budget=10.0))
    assert t.lr_at(0) == pytest.approx(t.config.learning_rate / 100)
    t.train_seconds = 1.0  # 10 % of the budget spent, still at step 3
    assert t.lr_at(3) > 0.95 * t.config.learning_rate  # past warm-up, early in the cosine decay


def test_muon_optimizer_trains_the_blocks_matrices_and_adamw_the_rest(poems):
    """optimizer="muon": torch's Muon for the 2-D weights inside the blocks, AdamW (with the
    configured betas) for embeddings, biases and norms; both follow the schedule (Muon's rate
    times muon_lr_scale), and the run learns."""
    t = Trainer(poems, TINY_MODEL, tiny_train(optimizer="muon", muon_lr_scale=0.5, beta2=0.95, max_steps=60))
    adamw, muon = t.optimizer.optimizers
    muon_params = {id(p) for g in muon.param_groups for p in g["params"]}
    named = dict(t.model.named_parameters())
    assert muon_params == {id(p) for n, p in named.items() if n.startswith("blocks.") and p.dim() == 2}
    assert id(named["tok_emb.weight"]) not in muon_params
    assert all(g["betas"] == (0.9, 0.95) for g in adamw.param_groups)
    first = t.checkpoint().val_loss
    t.step()
    assert muon.param_groups[0]["lr"] == pytest.approx(0.5 * t.lr_at(0))
    assert adamw.param_groups[0]["lr"] == pytest.approx(t.lr_at(0))
    while not t.done:
        t.step()
    assert t.checkpoint().val_loss < first - 0.5


def test_an_unknown_optimizer_is_refused(poems):
    with pytest.raises(UserInputError, match="optimizer must be one of"):
        Trainer(poems, TINY_MODEL, tiny_train(optimizer="lion"))


def test_the_servers_warm_up_trains_a_tiny_model_once_per_process():
    """The warm-up (run in the background when the server starts) really trains: a setting out of
    range would make it fail silently and the first visitor would wait seconds again."""
    from llmbreaker.engine import warm_up

    assert warm_up._warm() is True
    first = warm_up.start()
    assert warm_up.start() is None  # once per process
    if first is not None:
        first.join(60)
        assert not first.is_alive()
