"""The engine stands alone: no module of llmbreaker/ outside llmbreaker/ui/ imports the UI or
Streamlit (read from the source with ast, so an import inside a function counts too)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "llmbreaker"


def imported(source: str, module: str) -> set[str]:
    """Every module a source imports, absolute, as dotted names (`module` is its own dotted name,
    for relative imports)."""
    names = set()
    package = module.rsplit(".", 1)[0]  # llmbreaker.store.__init__ -> llmbreaker.store
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            names.add(base)
            names |= {f"{base}.{a.name}" for a in node.names}
    return names


def forbidden(names: set[str]) -> set[str]:
    return {n for n in names if n == "streamlit" or n.startswith(("streamlit.", "llmbreaker.ui"))}


def test_the_check_sees_every_form_of_import():
    assert forbidden(imported("import streamlit as st", "llmbreaker.trainer")) == {"streamlit"}
    assert forbidden(imported("def f():\n    from streamlit.runtime import x", "llmbreaker.trainer")) >= {"streamlit.runtime"}
    assert forbidden(imported("from .ui.common import page_header", "llmbreaker.trainer")) >= {"llmbreaker.ui.common"}
    assert forbidden(imported("from . import ui", "llmbreaker.trainer")) == {"llmbreaker.ui"}
    assert forbidden(imported("from ..ui import x", "llmbreaker.store.db")) >= {"llmbreaker.ui"}
    assert forbidden(imported("from .words import word_set\nimport torch", "llmbreaker.session")) == set()


def test_no_engine_module_imports_the_ui_or_streamlit():
    engine = [p for p in PACKAGE.rglob("*.py") if (PACKAGE / "ui") not in p.parents]
    assert {p.name for p in engine} >= {"model.py", "trainer.py", "session.py", "model_io.py", "corpus.py", "words.py"}
    bad = {}
    for path in engine:
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found = forbidden(imported(path.read_text(encoding="utf-8"), module))
        if found:
            bad[str(path.relative_to(ROOT))] = sorted(found)
    assert bad == {}
