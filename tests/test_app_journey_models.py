"""The journey pages take any model the app itself trained (docs/design.md §Robustness): a Watch run on a
Chinese text of 803 distinct characters is shown on every journey page, and a model that cannot
be shown is explained in plain words, without a word about files (there is no file to choose)."""
import pytest

from llmbreaker.engine.model import ModelConfig
from llmbreaker.engine.model_io import save_model
from llmbreaker.engine.session import TrainingRequest
from llmbreaker.engine.trainer import TrainConfig, Trainer
from llmbreaker.ui.shell import PAGES, get_manager

from conftest import fresh_app

PAGES_WITH_A_MODEL = ["tokens", "sampling", "microscope", "follow"]


@pytest.fixture
def app():
    yield from fresh_app()


def chinese_text(distinct: int) -> str:
    """Lines of CJK characters (each of `distinct` used several times) and punctuation."""
    chars = [chr(0x4E00 + (i * 37) % 20_000) for i in range(distinct - 3)]
    lines = ["".join(chars[(j * 11 + k) % len(chars)] for k in range(24)) + "。" for j in range(len(chars) // 2)]
    return "\n".join(lines + ["，".join(chars[i:i + 30]) for i in range(0, len(chars), 30)])


def with_model_of_this_tab(app, model_file: bytes, text: str):
    app.switch_page(PAGES["watch"][1]).run()  # creates this tab's Watch session: its owner is the tab
    session = get_manager().all_sessions()[0]
    session.history.run_id, session.history.step = 7, 10
    session.history.model_file = model_file
    session.request = TrainingRequest(text, label="your file chinese.txt")
    return session


def test_a_run_on_a_chinese_text_of_803_characters_shows_on_every_journey_page(app):
    text = chinese_text(803)
    assert len(set(text)) == 803
    trainer = Trainer(text, ModelConfig(n_embd=16, n_layer=1, n_head=2, block_size=32),
                      TrainConfig(max_steps=10, eval_interval=5))
    for _ in range(3):
        trainer.step()
    with_model_of_this_tab(app, save_model(trainer), text)
    for page in PAGES_WITH_A_MODEL:
        app.switch_page(PAGES[page][1]).run()
        assert not app.exception, (page, app.exception)
        assert not app.error, (page, [e.value for e in app.error])
        assert app.selectbox(key=f"{page}_model").value.startswith(f"{get_manager().all_sessions()[0].id}:")
    app.switch_page(PAGES["sampling"][1]).run()
    assert {m.label: m.value for m in app.metric}["Characters that can be picked"] == "803 of 803"


def test_a_model_that_cannot_be_shown_says_why_without_mentioning_files(app):
    from llmbreaker.engine.model import MicroGPT
    vocab = [chr(0x4E00 + i) for i in range(1500)]  # over MAX_VOCAB: no run can make it any more
    data = save_model(MicroGPT(ModelConfig(vocab_size=1500)), vocab)
    with_model_of_this_tab(app, data, "".join(vocab) * 3)
    for page in PAGES_WITH_A_MODEL:
        app.switch_page(PAGES[page][1]).run()
        assert not app.exception
        notes = " ".join(w.value for w in app.warning) + " ".join(e.value for e in app.error)
        assert "vocabulary has 1,500 characters" in notes, (page, notes)
        assert "file" not in notes.lower() and ".pt" not in notes
