"""Every requirement the code (the app, bench/, tools/) cites is one a reader of the repository can
look up: a citation names a section of docs/design.md that exists (`docs/design.md §Limits`), never
a numbered part of a document or issue the repository does not have ("spec 9.1", "issue 19 point 6")."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DESIGN = ROOT / "docs" / "design.md"
SOURCES = sorted([*(ROOT / "llmbreaker").rglob("*.py"), *(ROOT / "app_pages").glob("*.py"), ROOT / "streamlit_app.py",
                  *(ROOT / "bench").glob("*.py"), *(ROOT / "tools").glob("*.py")])

BY_NUMBER = re.compile(r"\b(?:spec|issue|appendix)s?\b[\s,.:§#]*\d+(?:\.\d+)*|\bN?FR-\d+(?:\.\d+)*", re.IGNORECASE)
SECTION = re.compile(r"§([A-Za-z][\w-]*)")


def headings(markdown: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^#{2,3} (\S+)\s*$", markdown, re.MULTILINE)}


def problems(line: str, sections: set[str]) -> list[str]:
    """What is wrong with the citations in one line of code (nothing: [])."""
    found = [f"cites by number: {m.group(0)!r}" for m in BY_NUMBER.finditer(line)]
    cited = SECTION.findall(line)
    if cited and "docs/design.md" not in line:
        found.append("a § without docs/design.md before it")
    found += [f"no section {name!r} in docs/design.md" for name in cited if name not in sections]
    return found


def test_the_checker_tells_a_resolvable_citation_from_the_others():
    sections = {"Limits", "Style"}
    assert problems("MAX = 10  # docs/design.md §Limits", sections) == []
    assert problems("(docs/design.md §Style, §Limits)", sections) == []
    assert problems("# spec 9.1: fewer characters", sections) == ["cites by number: 'spec 9.1'"]
    assert problems('"""(issue 19 point 6)"""', sections) == ["cites by number: 'issue 19'"]
    assert problems("(spec NFR-2.4); appendix 10.2", sections) == ["cites by number: 'NFR-2.4'", "cites by number: 'appendix 10.2'"]
    assert problems("docs/design.md §Nowhere", sections) == ["no section 'Nowhere' in docs/design.md"]
    assert problems("see §Limits", sections) == ["a § without docs/design.md before it"]
    assert problems("(DeepSeek-V2, section 2.1) and Chinchilla's section 3.3", sections) == []  # papers have sections


def test_every_citation_in_the_code_names_a_section_of_docs_design_md():
    sections = headings(DESIGN.read_text(encoding="utf-8"))
    assert {"Watch", "Cinema", "Style", "Controls", "Limits", "Messages"} <= sections
    bad = [f"{path.relative_to(ROOT)}:{n}: {why}"
           for path in SOURCES
           for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
           for why in problems(line, sections)]
    assert bad == []
    cited = {name for path in SOURCES for name in SECTION.findall(path.read_text(encoding="utf-8"))}
    assert len(cited) >= 20  # the check reads the code's citations, not nothing
