"""The journey's engine: which model the pages show, the map's stations and paths, the quizzes."""
from types import SimpleNamespace

import pytest

from llmbreaker.lessons.journey import (DEFAULT_MODEL_FILE, FIRST_STATION, PATHS, QUIZZES, STATIONS, check_answer,
                                        default_source, model_sources, trained_sources)
from llmbreaker.engine.model_io import load_model
from llmbreaker.engine.presets import MODEL_SIZES
from llmbreaker.engine.session import History, TrainingRequest
from llmbreaker.ui.shell import PAGES


def fake_session(page, run_id, model_file, label="Shakespeare", step=2200, sid=None):
    h = History(run_id=run_id, step=step, total_steps=step, model_file=model_file, next_prompt="KING:\nI")
    return SimpleNamespace(id=sid or f"s{run_id}", page=page, history=h, finished=[], snapshot=lambda: h,
                           request=TrainingRequest("some text " * 50, label=label))


def test_the_bundled_default_model_is_the_engines_small_model_on_shakespeare():
    assert DEFAULT_MODEL_FILE.exists() and DEFAULT_MODEL_FILE.stat().st_size < 1_000_000
    model, tokenizer = load_model(DEFAULT_MODEL_FILE.read_bytes())
    small = MODEL_SIZES["small"]
    assert (model.config.n_embd, model.config.n_layer, model.config.n_head) == (small.n_embd, small.n_layer, small.n_head)
    source = default_source()
    assert source.is_default and "Shakespeare" in source.label
    assert set(tokenizer.filter(source.text[:5000])) == set(source.text[:5000])  # its vocabulary is the text's


def test_without_finished_runs_the_default_model_is_offered():
    running = fake_session("watch", 1, None)  # still training: no model yet
    assert [s.key for s in model_sources([])] == ["default", "english-base"]
    assert [s.key for s in model_sources([running])] == ["default", "english-base"]


def test_finished_runs_are_listed_newest_first_with_page_text_and_step():
    data = DEFAULT_MODEL_FILE.read_bytes()
    older = fake_session("watch", 3, data, "Shakespeare", 2200)
    newer = fake_session("style", 7, data, "your text", 150)
    sources = trained_sources([older, newer])
    assert [s.label for s in sources] == ["Style · your text · step 150", "Watch · Shakespeare · step 2,200"]
    # The default is not offered once you have your own; the pretrained English base always is.
    assert [s.key for s in model_sources([older, newer])] == ["s7:7", "s3:3", "english-base"]
    assert sources[1].prompt == "KING:\nI"


def test_a_run_that_ended_while_no_page_drained_its_events_is_offered(manager, tiny_request):
    """The journey's picker reads a session itself: it used to see a finished run only after some
    other page (the sidebar, the run's own page) had drained its events."""
    import time
    s = manager.session_for("tab-1", "watch")
    s.set_speed("max")
    s.play(tiny_request(max_steps=20))
    end = time.monotonic() + 20
    while s.active and time.monotonic() < end:
        time.sleep(0.01)
    assert not s.active and s.history.model_file is None  # ended, nothing drained yet
    sources = trained_sources([s])
    assert [src.label for src in sources] == ["Watch · Poems · step 20"]
    assert load_model(sources[0].data)[0] is not None


def test_a_queue_of_runs_lists_each_finished_run_and_tells_equal_labels_apart():
    data = DEFAULT_MODEL_FILE.read_bytes()
    lab = fake_session("lab", 9, data)
    lab.finished = [History(run_id=8, step=2200, model_file=data, request=TrainingRequest("x" * 500, label="Shakespeare"))]
    labels = [s.label for s in trained_sources([lab])]
    assert labels == ["Lab · Shakespeare · step 2,200 · run 9", "Lab · Shakespeare · step 2,200 · run 8"]


def test_stations_and_paths_lead_to_real_pages_and_watch_comes_first():
    assert [s.title for s in STATIONS] == ["Data", "Tokens", "Model", "Training", "Evaluation", "Generation"]
    for station in STATIONS:
        assert station.summary and station.preview and all(p in PAGES for p in station.pages)
    assert FIRST_STATION in [s.key for s in STATIONS]
    assert "watch" in next(s for s in STATIONS if s.key == FIRST_STATION).pages
    assert len(PATHS) == 3
    for steps in PATHS.values():
        assert all(page in PAGES for page, _ in steps)
    assert next(iter(PATHS.values()))[0][0] == "watch"  # the beginner path starts by watching it learn


@pytest.mark.parametrize("page", ["microscope", "follow"])
def test_each_quiz_has_three_or_four_questions_with_one_right_answer_and_a_reason(page):
    questions = QUIZZES[page]
    assert 3 <= len(questions) <= 4
    for q in questions:
        assert 0 <= q.answer < len(q.options) and len(set(q.options)) == len(q.options) and q.reason
        assert check_answer(q, None) is None
        assert check_answer(q, q.options[q.answer]) is True
        assert all(check_answer(q, o) is False for i, o in enumerate(q.options) if i != q.answer)


def test_token_data_counts_splits_and_batches_as_the_trainer_does():
    from llmbreaker.engine.corpus import CharTokenizer
    from llmbreaker.lessons.token_data import ids_from_text, one_batch, split, vocabulary
    text = "abba cab\n" * 40
    tok = CharTokenizer.from_text(text)
    rows = vocabulary(text, tok)
    assert [(r["char"], r["count"]) for r in rows] == [("\n", 40), (" ", 40), ("a", 120), ("b", 120), ("c", 40)]
    assert ids_from_text("2, 3 4;0", tok.vocab_size) == ([2, 3, 4, 0], [])
    assert ids_from_text("2, 5, -1, b", tok.vocab_size) == ([2], ["5", "-1", "b"])
    sp = split(text, tok)
    assert (sp.train_chars, sp.val_chars) == (324, 36)
    x, y = one_batch(text, tok, block_size=8, batch_size=3)
    assert len(x) == 3 and all(len(row) == 8 for row in x)
    for xi, yi in zip(x, y):
        assert xi[1:] == yi[:-1]  # the target is the input shifted by one
