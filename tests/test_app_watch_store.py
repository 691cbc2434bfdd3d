"""Watch It Learn with a run's address (?run=<token>), through AppTest: a stored run read-only, an
interrupted one, a bad token, and "Train your own copy". The store is the tests' temporary database
(conftest sets LLMBREAKER_DB_URL)."""
import threading

import numpy as np
import pytest

from llmbreaker.engine.session import State
from llmbreaker.engine.store import default_store, new_token
from llmbreaker.engine.trainer import Checkpoint
from llmbreaker.ui.shell import get_manager

from conftest import fresh_app


@pytest.fixture
def app():
    yield from fresh_app("app_pages/watch.py")


def stored_run(state="completed", steps=(0, 100, 200)) -> str:
    """A run in the store as the Watch page writes one: Poems, 200 steps, a checkpoint per 100."""
    from llmbreaker.engine.corpus import bundled_text
    from llmbreaker.engine.model import ModelConfig
    from llmbreaker.engine.session import TrainingRequest, request_settings
    from llmbreaker.engine.trainer import TrainConfig

    store = default_store()
    token = new_token()
    req = TrainingRequest(bundled_text("poems"), ModelConfig(n_embd=16, n_layer=1, n_head=2, block_size=32),
                          TrainConfig(max_steps=200, eval_interval=100, batch_size=8), label="Poems")
    store.start_run(token, "watch", "Poems", request_settings(req), req.text, 200)
    store.run_info(token, {"vocab": list("abcdefgh "), "next_prompt": "The moon", "parameters": 4000,
                           "probe_tokens": list("The moon")})
    for s in steps:
        store.add_losses(token, list(range(max(1, s - 99), s + 1)) if s else [], [3.0 - s / 100] * (min(s, 100)))
        store.add_checkpoint(token, Checkpoint(step=s, train_loss=3 - s / 100, val_loss=3.1 - s / 100,
                                               sample=f"the moon sings {s}", attention=np.zeros((1, 2, 4, 4), np.float32),
                                               next_token=[("e", 0.6), ("a", 0.2)], lr=0.01, elapsed=s / 50))
    if state != "running":
        store.finish_run(token, state, seconds=4.2, model_file=b"model")
    assert store.flush() and store.available, store.problem
    return token


def page_text(at) -> str:
    parts = [m.value for m in at.markdown] + [i.value for i in at.info] + [w.value for w in at.warning]
    parts += [c.value for c in at.caption] + [h.proto.body for h in at.html]
    parts += [p.proto.text for p in at.get("progress")]
    return "\n".join(parts)


def test_a_stored_run_opens_read_only_with_its_history_and_a_copy_button(app):
    token = stored_run()
    app.query_params["run"] = token
    app.run()
    assert not app.exception
    text = page_text(app)
    assert "Anyone with this page's address can view this run" in text
    assert "Step 200 / 200 · completed in 4.2 s" in text
    assert 'data-step="200"' in text and 'data-step="0"' in text and ">sings<" in text  # the samples
    assert len(app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")) >= 2  # curve and guesses
    keys = {b.key for b in app.button}
    assert "watch_copy_run" in keys
    assert not keys & {"watch_play", "watch_pause", "watch_stop", "watch_step", "watch_resume"}  # no controls
    assert not app.selectbox  # nor the dataset picker and settings


def test_a_run_that_was_training_when_the_server_stopped_reads_as_interrupted(app):
    token = stored_run(state="running", steps=(0, 100))
    app.query_params["run"] = token
    app.run()
    assert not app.exception
    assert "interrupted at step 100" in page_text(app)


def test_a_wrong_token_says_so_and_offers_a_new_run(app):
    app.query_params["run"] = new_token()
    app.run()
    assert not app.exception
    assert any("There is no run at this address" in w.value for w in app.warning)
    app.button(key="watch_leave_run").click().run()
    assert not app.exception
    assert "run" not in app.query_params
    assert app.selectbox(key="watch_dataset")  # the ordinary page: choose a text, press Play
    assert app.button(key="watch_play")


def test_garbage_in_the_address_is_a_wrong_token_not_a_traceback(app):
    app.query_params["run"] = "<script>alert(1)</script>' OR 1=1 --"
    app.run()
    assert not app.exception
    assert any("There is no run at this address" in w.value for w in app.warning)


def test_train_your_own_copy_starts_the_same_request_in_this_tab_with_its_controls(app):
    token = stored_run()
    app.query_params["run"] = token
    app.run()
    app.button(key="watch_copy_run").click().run()
    assert not app.exception
    sessions = [s for s in get_manager().all_sessions() if s.page == "watch"]
    assert len(sessions) == 1
    s = sessions[0]
    assert s.request.label == "Poems" and s.request.train.max_steps == 200 and s.request.model.n_embd == 16
    assert s.run_token and s.run_token != token
    assert app.query_params["run"] == s.run_token  # the address now names the copy
    assert app.selectbox(key="watch_dataset").value == "poems"
    assert app.number_input(key="watch_steps").value == 200
    assert {"watch_pause", "watch_stop"} <= {b.key for b in app.button} or s.state in (State.COMPLETED,)
    s.stop()


def test_a_store_that_cannot_be_used_is_one_line_and_training_still_works(app, tmp_path):
    from llmbreaker.engine.store import RunStore

    bad = tmp_path / "damaged.db"
    bad.write_bytes(b"not a database " * 100)
    app.run()
    manager = get_manager()
    manager._store = RunStore(f"sqlite:///{bad}")
    try:
        app.number_input(key="watch_steps").set_value(50)
        app.number_input(key="watch_interval").set_value(25)
        app.segmented_control(key="watch_speed").set_value("max").run()
        app.button(key="watch_play").click().run()
        assert not app.exception
        notes = [c.value for c in app.caption if "Runs are not kept" in c.value]
        assert len(notes) == 1 and "damaged" in notes[0] and "Training works" in notes[0]
        s = next(s for s in manager.all_sessions() if s.page == "watch")
        done = threading.Event()
        for _ in range(600):
            if s.state == State.COMPLETED:
                break
            done.wait(0.1)
        assert s.state == State.COMPLETED  # the run trained to its end without a store
        # The page redraws its own (unkept) run from memory, the note still there.
        app.run()
        assert not app.exception
    finally:
        manager._store.close()
