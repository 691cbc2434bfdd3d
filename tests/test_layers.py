"""The rooms of the package and the doors between them (README "How it is built"), read from the
source with ast, so that an import inside a function counts too:

- `llmbreaker.engine` (the model, training, texts, the run store) imports no lesson, chart or UI;
- `llmbreaker.lessons` (what the pages teach) imports the engine only;
- `llmbreaker.charts` (every picture, built from data) imports the engine and the lessons, never the UI,
  and nothing else imports Altair or pydeck;
- only `llmbreaker.ui` imports Streamlit, and its shared widgets never import a page's view."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "llmbreaker"

# room -> the rooms (and outside packages) it must not import
# (altair and pydeck outside charts/: a chart built in a view is a chart the next page cannot find)
FORBIDDEN = {
    "llmbreaker.engine": ("streamlit", "altair", "pydeck", "llmbreaker.lessons", "llmbreaker.charts", "llmbreaker.ui"),
    "llmbreaker.lessons": ("streamlit", "altair", "pydeck", "llmbreaker.charts", "llmbreaker.ui"),
    "llmbreaker.charts": ("streamlit", "llmbreaker.ui"),
    "llmbreaker.ui": ("altair", "pydeck"),
    "llmbreaker.ui.widgets": ("llmbreaker.ui.views",),
}


def imported(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module a source imports, absolute, as dotted names (`module` is its own dotted name,
    for relative imports)."""
    names = set()
    package = module if is_package else module.rsplit(".", 1)[0]
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


def crossings(module: str, names: set[str]) -> set[str]:
    """The imports among `names` that `module` may not make."""
    rules = [banned for room, banned in FORBIDDEN.items() if module == room or module.startswith(room + ".")]
    return {n for n in names for banned in rules for b in banned if n == b or n.startswith(b + ".")}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def test_the_check_sees_every_form_of_import():
    engine = "llmbreaker.engine.trainer"
    assert crossings(engine, imported("import streamlit as st", engine)) == {"streamlit"}
    assert crossings(engine, imported("def f():\n    from streamlit.runtime import x", engine)) >= {"streamlit.runtime"}
    assert crossings(engine, imported("from ..ui.shell import page_header", engine)) >= {"llmbreaker.ui.shell"}
    assert crossings(engine, imported("from .. import lessons", engine)) == {"llmbreaker.lessons"}
    assert crossings("llmbreaker.engine.store.db", imported("from ...charts import x", "llmbreaker.engine.store.db")) \
        >= {"llmbreaker.charts"}
    assert crossings(engine, imported("from .words import word_set\nimport torch", engine)) == set()
    assert crossings("llmbreaker.lessons.style", {"llmbreaker.engine.words"}) == set()
    assert crossings("llmbreaker.charts.training", {"llmbreaker.lessons.attention", "llmbreaker.ui.shell"}) == \
        {"llmbreaker.ui.shell"}
    assert crossings("llmbreaker.ui.widgets.controls", {"llmbreaker.ui.views.watch"}) == {"llmbreaker.ui.views.watch"}
    assert crossings("llmbreaker.ui.views.watch", {"streamlit", "llmbreaker.ui.widgets.controls"}) == set()
    assert crossings("llmbreaker.ui.views.rope", {"altair", "llmbreaker.charts.rope"}) == {"altair"}


def test_every_room_keeps_to_its_doors():
    found = modules()
    for room in ("llmbreaker.engine", "llmbreaker.lessons", "llmbreaker.charts", "llmbreaker.ui.widgets",
                 "llmbreaker.ui.views"):
        assert room in found, f"{room} is gone: update this test and the README's 'How it is built'"
    assert {"llmbreaker.engine.model", "llmbreaker.engine.trainer", "llmbreaker.engine.session",
            "llmbreaker.engine.words", "llmbreaker.lessons.attention", "llmbreaker.charts.palette"} <= set(found)
    bad = {}
    for module, path in found.items():
        names = imported(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
        wrong = crossings(module, names)
        if wrong:
            bad[str(path.relative_to(ROOT))] = sorted(wrong)
    assert bad == {}


def test_nothing_but_the_package_sits_at_its_top():
    # A module straight under llmbreaker/ belongs in one of its rooms: the folders say where things go.
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert loose == []
    assert sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__") == \
        ["charts", "engine", "lessons", "ui"]
