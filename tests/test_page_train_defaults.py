"""Each page's starting training settings (presets.default_train_config): Watch It Learn to Spell
trains with Muon, the other pages keep AdamW, and a person's choices still apply on top."""
from llmbreaker.engine.presets import default_train_config
from llmbreaker.engine.trainer import TrainConfig


def test_watch_starts_with_muon_and_the_other_pages_with_adamw():
    assert default_train_config("watch").optimizer == "muon"
    for page in ("cinema", "moe", "lab", "style", "scaling"):
        assert default_train_config(page) == TrainConfig()
    base = TrainConfig(max_steps=300, learning_rate=1e-2)
    assert default_train_config("watch", base) == TrainConfig(max_steps=300, learning_rate=1e-2, optimizer="muon")


def test_the_watch_pages_run_trains_with_muon_and_the_chosen_rate():
    from conftest import fresh_app
    from llmbreaker.ui.shell import get_manager

    for app in fresh_app("app_pages/watch.py"):
        app.run()
        app.select_slider(key="watch_lr").set_value(1e-2).run()
        app.button(key="watch_play").click().run()
        s = next(x for x in get_manager().all_sessions() if x.page == "watch")
        assert s.request.train.optimizer == "muon" and s.request.train.learning_rate == 1e-2
        s.stop()


def test_muon_leaves_a_mixture_of_experts_biases_and_its_3d_experts_to_adamw(poems):
    from dataclasses import replace
    from llmbreaker.engine.presets import MODEL_SIZES
    from llmbreaker.engine.trainer import Trainer
    t = Trainer(poems, replace(MODEL_SIZES["small"], n_expert=4),
                replace(default_train_config("watch"), max_steps=20, eval_interval=10, batch_size=8, eval_batches=2))
    muon = {id(p) for g in t.optimizer.optimizers[1].param_groups for p in g["params"]}
    named = dict(t.model.named_parameters())
    assert {n for n, p in named.items() if id(p) in muon} == {
        n for n in named if n.endswith(("qkv.weight", "proj.weight", "router.weight"))}
    while not t.done:
        t.step()
