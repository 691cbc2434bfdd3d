"""One row per page (README "How it is built"): every page of the navigation is an app_pages/ file
that only calls its view, and a view module of the same name with one entry point, view(), and a
PAGE constant that is the page's key."""
import ast
import importlib
from pathlib import Path

from llmbreaker.ui.shell import PAGE_SECTIONS, PAGES

ROOT = Path(__file__).resolve().parent.parent


def test_every_page_is_a_thin_file_and_a_view_of_the_same_name():
    for key, (_title, path, _icon, _url) in PAGES.items():
        assert path == f"app_pages/{key}.py"
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        body = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
        assert [ast.unparse(n) for n in body] == [f"from llmbreaker.ui.views.{key} import view", "view()"], path
        view = importlib.import_module(f"llmbreaker.ui.views.{key}")
        assert view.PAGE == key and callable(view.view)


def test_every_page_is_in_the_sidebar_once_and_every_app_pages_file_is_a_page():
    listed = [key for keys in PAGE_SECTIONS.values() for key in keys]
    assert sorted(listed) == sorted(PAGES)
    assert sorted(p.stem for p in (ROOT / "app_pages").glob("*.py")) == sorted(PAGES)
