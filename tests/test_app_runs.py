"""Your runs (app_pages/runs.py), through AppTest: this browser's runs newest first with their page,
name, steps, loss, state and last words; Open links to each run's address; rename, delete with a
confirmation, download; import a .lbrun file (a bad one gets its message, never a traceback); a
browser without a cookie, and a store that cannot be used. The store is the tests' temporary
database (conftest sets LLMBREAKER_DB_URL); the browser's key is faked (AppTest sends no cookie)."""
import numpy as np
import pytest

from llmbreaker.engine.store import default_store, new_token
from llmbreaker.engine.trainer import Checkpoint
from llmbreaker.ui.widgets import browser_id
from llmbreaker.ui.shell import PAGES

from conftest import fresh_app

KEY = "fake-browser-key-of-this-test"


@pytest.fixture(autouse=True)
def own_store(monkeypatch, tmp_path):
    """A database of this test's own: the list shows only what the test wrote."""
    monkeypatch.setenv("LLMBREAKER_DB_URL", f"sqlite:///{tmp_path / 'runs.db'}")
    yield
    default_store().close()


@pytest.fixture
def app(monkeypatch):
    monkeypatch.setattr(browser_id, "browser_key", lambda: KEY)
    yield from fresh_app("app_pages/runs.py")


def owner() -> str:
    return browser_id.owner_id(KEY)


def seed(page="watch", label="Poems", n=1, state="completed", who=None, sample="the moon sings softly over the hill"):
    """Runs written as a page writes them (start_run, checkpoints, finish_run), then flushed."""
    store = default_store()
    head = new_token()
    for i in range(n):
        t = head if i == 0 else new_token()
        store.start_run(t, page, label if n == 1 else f"{label} #{i + 1}", {"model": {}, "train": {}}, "some text",
                        200, series=head, owner=owner() if who is None else who)
        for step in (0, 100, 200):
            store.add_losses(t, list(range(max(1, step - 99), step + 1)) if step else [], [2.0] * min(step, 100))
            store.add_checkpoint(t, Checkpoint(step=step, train_loss=3 - step / 100, val_loss=3.1 - step / 100 + i,
                                               sample=f"{sample} {i}", attention=np.zeros((1, 2, 4, 4), np.float32),
                                               next_token=[("e", 0.6)], lr=0.01, elapsed=step / 50))
        if state != "running":
            store.finish_run(t, state, seconds=4.0)
    assert store.flush() and store.available, store.problem
    return head


def text_of(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [h.proto.body for h in at.html]
    parts += [i.value for i in at.info] + [w.value for w in at.warning] + [e.value for e in at.error]
    parts += [s.value for s in at.success]
    return "\n".join(parts)


def open_links(at) -> list:
    return [p.proto for p in at.get("page_link") if p.proto.label == "Open"]


def test_the_page_lists_this_browsers_runs_newest_first_with_their_details(app):
    watch = seed("watch", "Shakespeare")
    lab = seed("lab", "Poems", n=3, state="stopped")
    seed("cinema", "Someone else's", who="c" * 32)
    app.run()
    assert not app.exception
    text = text_of(app)
    assert "Runs are kept 30 days, and the oldest go first when the store is full" in text
    assert "Anyone with a run's address can view it" in text
    assert "Someone else's" not in text
    assert text.index("Poems #1") < text.index("Shakespeare")  # newest first
    assert "Architecture Lab" in text and "Watch It Learn to Spell" in text
    assert "3 runs compared" in text and "stopped" in text and "completed" in text
    assert "<b>200</b> / 200 steps" in text and "validation loss <b>3.100</b>" in text  # the Lab's last run: 1.1 + 2
    assert "the moon sings softly over the hill 2" in text  # the last run's last sample
    links = {(l.page, l.query_string) for l in open_links(app)}
    assert links == {("watch", f"run={watch}"), ("lab", f"run={lab}")}  # /<page's url path>?run=<token>


def test_rename_and_delete_with_a_confirmation(app):
    token = seed("watch", "Shakespeare")
    other = seed("watch", "Poems")
    app.run()
    app.text_input(key=f"runs_title_{token}").set_value("  Before class  ")
    app.button(key=f"FormSubmitter:runs_rename_{token}-Save").click().run()
    assert not app.exception
    assert "Before class" in text_of(app) and default_store().list_runs(owner())[1].title == "Before class"
    app.button(key=f"runs_delete_{token}").click().run()
    assert not app.exception
    assert "Before class" not in text_of(app)
    assert default_store().load_run(token) is None and default_store().load_run(other) is not None
    assert [s.token for s in default_store().list_runs(owner())] == [other]


def test_every_card_has_a_download_of_its_run_file_named_after_the_run(app):
    from llmbreaker.engine.store import RunFileError  # noqa: F401
    from llmbreaker.ui.views import runs as runs_view
    token = seed("watch", "Shakespeare")
    app.run()
    downloads = [d.proto for d in app.get("download_button")]
    assert len(downloads) == 1 and token in downloads[0].id and downloads[0].deferred_file_id  # made when pressed
    summary = default_store().list_runs(owner())[0]
    assert runs_view.file_name(summary) == "llmbreaker-Shakespeare.lbrun"
    summary.title = "Before class: 3/4 ü"
    assert runs_view.file_name(summary) == "llmbreaker-Before-class-3-4.lbrun"
    data = runs_view._exporter(default_store(), token)()  # what the button sends
    assert data[:2] == b"PK" and default_store().import_run(data, owner())


def test_an_imported_run_is_listed_at_the_top_with_its_open_link(app, monkeypatch):
    store = default_store()
    data = store.export_run(seed("cinema", "From a friend", who="f" * 32))
    seed("watch", "Mine from before")
    app.run()
    new = store.import_run(data, owner())  # what the uploader does with the file (AppTest cannot upload)
    app.run()
    assert not app.exception
    text = text_of(app)
    assert text.index("From a friend") < text.index("Mine from before")
    assert ("cinema", f"run={new}") in {(l.page, l.query_string) for l in open_links(app)}


def test_the_import_box_imports_once_and_shows_a_bad_files_message(app, monkeypatch):
    """The uploader's handling, with an uploaded file faked (AppTest has no file uploader input)."""
    from llmbreaker.ui.views import runs as runs_view
    store = default_store()
    good = store.export_run(seed("watch", "Exported", who="f" * 32))

    class Upload:
        def __init__(self, data, file_id):
            self.data, self.file_id = data, file_id

        def getvalue(self):
            return self.data

    uploads = {"file": Upload(good, "id-1")}
    real = runs_view.st.file_uploader
    monkeypatch.setattr(runs_view.st, "file_uploader", lambda *a, **k: (real(*a, **k), uploads["file"])[1])
    app.run()
    assert not app.exception
    assert "Imported **Exported**" in text_of(app) or "Imported" in text_of(app)
    assert any(l.label.startswith("Open it on Watch It Learn") for l in (p.proto for p in app.get("page_link")))
    first = store.list_runs(owner())
    app.run()  # the same upload on the next redraw: not imported again
    assert len(store.list_runs(owner())) == len(first) == 1
    uploads["file"] = Upload(b"this is not a run file at all", "id-2")
    app.run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert errors and errors[0].startswith("This file cannot be imported: it is not a run file saved by LLMBreaker")
    assert len(store.list_runs(owner())) == 1


def test_a_browser_without_a_cookie_is_told_its_runs_cannot_be_listed(monkeypatch):
    monkeypatch.setattr(browser_id, "browser_key", lambda: "")
    for at in fresh_app("app_pages/runs.py"):
        at.run()
        assert not at.exception
        assert "This browser sends no cookie, so its runs cannot be listed here" in text_of(at)
        assert at.get("file_uploader")  # importing still works; the new run's Open link is shown


def test_a_store_that_cannot_be_used_shows_its_problem_and_what_to_do(app, monkeypatch, tmp_path):
    from llmbreaker.engine.store import RunStore
    from llmbreaker.ui.shell import get_manager
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database " * 100)
    app.run()
    store = RunStore(f"sqlite:///{broken}")
    monkeypatch.setattr(get_manager(), "_store", store)
    app.run()
    assert not app.exception
    text = text_of(app)
    assert "Runs are not kept: its database file is damaged" in text and "Training works on every page" in text
    store.close()


def test_a_list_that_fails_shows_the_stores_message(app, monkeypatch):
    from llmbreaker.engine.store import StoreError
    seed()
    app.run()
    store = default_store()

    def fail(*a, **k):
        raise StoreError("Your runs cannot be listed now: its database file is locked by another program. Try again "
                         "in a moment.")
    monkeypatch.setattr(store, "list_runs", fail)
    app.run()
    assert not app.exception
    assert "Your runs cannot be listed now: its database file is locked" in text_of(app)


def test_no_runs_yet_points_at_the_pages_that_train(app):
    app.run()
    assert not app.exception
    assert "No runs yet" in text_of(app)
    assert PAGES["watch"][0] in [p.proto.label for p in app.get("page_link")]
