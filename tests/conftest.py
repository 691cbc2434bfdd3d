"""Shared fixtures. Engine tests run on small texts and tiny runs so the suite stays quick."""
import atexit
import os
import shutil
import tempfile
import threading
import time

# The run store of every test (AppTests, and the servers the browser tests start, which inherit
# the environment) is a temporary file, never the developer's data/llmbreaker.db. Set before the
# app is imported: the store reads LLMBREAKER_DB_URL when it opens.
_STORE_DIR = tempfile.mkdtemp(prefix="llmbreaker-test-store-")
atexit.register(shutil.rmtree, _STORE_DIR, True)  # after the store's own exit handler (registered later)
os.environ["LLMBREAKER_DB_URL"] = f"sqlite:///{os.path.join(_STORE_DIR, 'runs.db')}"

import pytest

from llmbreaker.engine.corpus import bundled_text
from llmbreaker.engine.model import ModelConfig
from llmbreaker.engine.session import SessionManager, TrainingRequest
from llmbreaker.engine.trainer import TrainConfig

TINY_MODEL = ModelConfig(n_embd=16, n_layer=2, n_head=2, block_size=32)


def tiny_train(**overrides) -> TrainConfig:
    base = dict(max_steps=40, eval_interval=10, batch_size=8, eval_batches=2, sample_chars=20, warmup_steps=5)
    base.update(overrides)
    return TrainConfig(**base)


@pytest.fixture
def poems() -> str:
    return bundled_text("poems")


@pytest.fixture
def tiny_request(poems):
    def make(**overrides):
        return TrainingRequest(poems, TINY_MODEL, tiny_train(**overrides), label="Poems")
    return make


def trainer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("trainer-") and t.is_alive()]


def assert_no_trainer_threads(grace: float = 5.0) -> None:
    """No training thread is left. A run's state turns "completed" a moment before its thread
    returns (it still frees its model and trainer slot), so a thread gets `grace` seconds to end;
    one that is really stuck is still reported."""
    deadline = time.monotonic() + grace
    while trainer_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert trainer_threads() == [], "a training thread outlived its test"


@pytest.fixture
def manager():
    m = SessionManager(max_running=2)
    yield m
    m.shutdown()
    assert_no_trainer_threads()


# -- the run store's database ----------------------------------------------------------------------
# Store tests take `store_url`: an SQLite file of their own, and the same test again on PostgreSQL
# when LLMBREAKER_TEST_DB_URL names a server (.ci/run starts one), each test in a schema of its own
# that is dropped afterwards, so no run leaks from one test into another.
TEST_DB_URL = os.environ.get("LLMBREAKER_TEST_DB_URL", "").strip()
PG_SKIP = ("PostgreSQL variant: set LLMBREAKER_TEST_DB_URL=postgresql+psycopg://USER@HOST:PORT/DB (an empty "
           "database; .ci/run starts a local server and sets it) to run the store tests on PostgreSQL too")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'runs.db'}"
        return
    if not TEST_DB_URL:
        pytest.skip(PG_SKIP)
    import secrets

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    schema = f"test_{secrets.token_hex(6)}"
    admin = create_engine(TEST_DB_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(TEST_DB_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


# -- real-browser tests ------------------------------------------------------------------------------
# One `streamlit run` for the whole test run (each test opens its own browser, so its own Streamlit
# session), and one headless Chromium page per test that records console errors.
DEEP_LINK_404 = "Failed to load resource: the server responded with a status of 404 (Not Found)"


@pytest.fixture(scope="session")
def server():
    from browser import ARTIFACTS, streamlit_server
    ARTIFACTS.mkdir(exist_ok=True)
    with streamlit_server() as url:
        yield url


def open_browser_page(height: int = 1900, init_script: str | None = None):
    """A fixture body: a headless Chromium page 1400 px wide. Streamlit scrolls inside its own
    container, so a tall viewport is what makes a screenshot hold a whole page."""
    from playwright.sync_api import sync_playwright

    from browser import CHROMIUM_ARGS, chromium_path
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": height})
        if init_script:
            pg.add_init_script(init_script)
        pg.console_errors = []
        pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
        yield pg
        browser.close()


@pytest.fixture
def page(server):
    yield from open_browser_page()


def unexpected_console_errors(page) -> list[str]:
    """Console errors but Streamlit's own probe of /<page>/_stcore/health on a deep link (a 404)."""
    print("console errors:", page.console_errors)
    return [e for e in page.console_errors if e != DEEP_LINK_404]


# -- AppTest ---------------------------------------------------------------------------------------
def fresh_app(page: str | None = None):
    """A fixture body: the whole app (streamlit_app.py) in AppTest, on `page` if given, with a fresh
    session manager; afterwards every session is shut down and no training thread is left."""
    from pathlib import Path

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from llmbreaker.ui.shell import get_manager
    st.cache_resource.clear()
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "streamlit_app.py"), default_timeout=60)
    if page:
        at.switch_page(page)
    yield at
    get_manager().shutdown()
    st.cache_resource.clear()
    assert_no_trainer_threads()
