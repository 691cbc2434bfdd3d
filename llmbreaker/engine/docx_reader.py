"""The text of a Word .docx upload, read from memory with python-docx.

What is read: the body's paragraphs and tables in document order (a table's cells row by row, each
cell's paragraphs; nested tables and content controls included). Page headers, footers, footnotes,
comments and deleted tracked changes are not part of the writing and are left out.

Safety before parsing: a .docx is a zip file, and a small zip can hold gigabytes (a "zip bomb").
The zip's directory is checked first (`zipguard`): the number of members from the end record before
`zipfile` lists them, declared sizes (which `zipfile` never reads past, so they bound memory) and
compression ratios. Only then is word/document.xml read, streamed: each top-level paragraph or table
is turned into text and dropped as soon as it ends, so memory stays near the text's own size. (Parsing
the whole document into one tree, as python-docx does, took ~155 MB for a 0.9 MB file of 200,000
paragraphs, and the server kept it: the memory went to a script thread's allocator arena.) The XML
parser resolves no entities and loads no DTD (no "billion laughs", no external fetches), and keeps
libxml2's depth limit (256), so a deeply nested document is refused as damaged.
Nothing touches the disk.
"""
from __future__ import annotations

import io
import zipfile

from llmbreaker.engine.errors import UserInputError
from llmbreaker.engine.zipguard import ZipRefused, check_zip

MAX_DOCX_BYTES = 10 * 1024 * 1024  # docs/design.md §Limits; = corpus.MAX_UPLOAD_BYTES (corpus imports us)
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024  # sum of the declared sizes of all members
MAX_XML_BYTES = 20 * 1024 * 1024  # sum of the XML members python-docx parses into trees
MAX_RATIO = 100  # uncompressed / compressed size of one member
RATIO_MIN_BYTES = 1024 * 1024  # the ratio rule applies to members bigger than this (see _check_zip)
MAX_MEMBERS = 1000

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Containers that hold runs inside a paragraph and whose text is part of it. Left out on purpose:
# w:del and w:moveFrom (deleted text), w:pPr, bookmarks, proofing marks.
_RUN_CONTAINERS = {_W + t for t in ("hyperlink", "ins", "moveTo", "smartTag", "fldSimple", "customXml", "sdt", "sdtContent")}
# Containers that hold paragraphs/tables at block level (body, cell).
_BLOCK_CONTAINERS = {_W + t for t in ("sdt", "sdtContent", "customXml")}

_RESAVE = "Open it in Word (or another editor), save it again as .docx, or paste the text instead."


def _unreadable(detail: str) -> UserInputError:
    return UserInputError("file_unreadable", detail)


def _check_zip(data: bytes) -> None:
    """Refuse what is not a Word document, or would unpack to far more than it weighs."""
    try:
        infos = check_zip(data, max_members=MAX_MEMBERS, max_total=MAX_UNCOMPRESSED_BYTES)
    except ZipRefused as e:
        if e.kind == "not_zip":
            raise _unreadable(f"It is not a valid .docx file (it may be damaged or only partly uploaded). {_RESAVE}")
        if e.kind == "too_many":
            raise _unreadable(f"{e.reason[0].upper()}{e.reason[1:]}: far more than a Word document has. {_RESAVE}")
        raise _unreadable(f"{e.reason[0].upper()}{e.reason[1:]}. Paste the text instead, or save a shorter document.")
    names = {i.name for i in infos}
    if "word/document.xml" not in names:
        raise _unreadable(f"It is a zip file but not a Word document. {_RESAVE}")
    xml = sum(i.size for i in infos if i.name.endswith((".xml", ".rels")))
    if xml > MAX_XML_BYTES:
        raise _unreadable(
            f"It would unpack to {xml / 2**20:,.0f} MB of XML, more than the {MAX_XML_BYTES // 2**20} MB "
            f"allowed. Paste the text instead, or save a shorter document."
        )
    for i in infos:
        # A repetitive but honest document.xml can compress 140:1 at 160 KB (tested: 2,000 equal
        # lines), so small members are not held to the ratio: they cannot hurt memory anyway.
        if i.size > RATIO_MIN_BYTES and i.size > MAX_RATIO * max(i.compressed, 1):
            raise _unreadable(
                "It is compressed far more than a real document can be, which is how zip bombs are made. "
                "Paste the text instead."
            )


_BREAKS = {_W + "cr": "\n", _W + "noBreakHyphen": "-", _W + "ptab": "\t", _W + "tab": "\t"}


def _run_text(r) -> str:
    """A run's text as python-docx's CT_R.text gives it: w:t, tabs as \\t, line breaks as \\n
    (page and column breaks as nothing), non-breaking hyphens as -."""
    out = []
    for child in r:
        tag = child.tag
        if tag == _W + "t":
            out.append(child.text or "")
        elif tag == _W + "br":
            out.append("\n" if child.get(_W + "type", "textWrapping") == "textWrapping" else "")
        elif tag in _BREAKS:
            out.append(_BREAKS[tag])
    return "".join(out)


def _paragraph_text(p) -> str:
    parts: list[str] = []

    def walk(el):
        for child in el:
            if child.tag == _W + "r":
                parts.append(_run_text(child))
            elif child.tag in _RUN_CONTAINERS:
                walk(child)

    walk(p)
    return "".join(parts)


def _is_merged_continuation(tc) -> bool:
    """A cell that only continues a merged cell above or to the left (its text is in that cell)."""
    for tag in ("vMerge", "hMerge"):
        merges = tc.findall(f"{_W}tcPr/{_W}{tag}")
        # A w:vMerge without w:val means "continue" (ECMA-376 17.4.85).
        if merges and merges[0].get(_W + "val", "continue") == "continue":
            return True
    return False


def _children(el, name: str):
    """The w:<name> children of an element, also those wrapped in a content control (w:sdt) or
    w:customXml, but not those of nested tables."""
    for child in el:
        if child.tag == _W + name:
            yield child
        elif child.tag in _BLOCK_CONTAINERS:
            yield from _children(child, name)


def _block_lines(container, lines: list[str]) -> None:
    for child in container:
        if child.tag == _W + "p":
            lines.append(_paragraph_text(child))
        elif child.tag == _W + "tbl":
            for tr in _children(child, "tr"):
                for tc in _children(tr, "tc"):
                    if not _is_merged_continuation(tc):
                        _block_lines(tc, lines)
        elif child.tag in _BLOCK_CONTAINERS:
            _block_lines(child, lines)


def _stream_lines(xml) -> list[str]:
    """The body's lines from a stream of document.xml, one top-level block in memory at a time."""
    from lxml import etree  # python-docx's XML library; imported here so the engine loads without it

    lines: list[str] = []
    depth = 0
    events = etree.iterparse(xml, events=("start", "end"), resolve_entities=False, load_dtd=False,
                             no_network=True, huge_tree=False, remove_blank_text=True)
    for event, el in events:
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if depth == 2:  # a child of w:body (w:document > w:body > this) has ended: read it, drop it
            parent = el.getparent()
            if parent is not None and parent.tag == _W + "body":
                _block_lines([el], lines)  # as if it were a container holding only this block
                el.clear()
                while el.getprevious() is not None:
                    del parent[0]
    return lines


def read_docx(data: bytes) -> str:
    """Bytes of a .docx file -> its body text: paragraphs and table cells in order, one per line.

    Raises UserInputError("file_too_large") over 10 MB and UserInputError("file_unreadable") for
    anything that is not a readable, reasonably sized Word document.
    """
    if len(data) > MAX_DOCX_BYTES:
        raise UserInputError("file_too_large", f"This file is {len(data) / 1e6:.1f} MB.")
    _check_zip(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf, zf.open("word/document.xml") as xml:
            lines = _stream_lines(xml)
    except UserInputError:
        raise
    except Exception:  # lxml and zipfile raise many types for damaged files
        raise _unreadable(f"The Word document is damaged or in a format that cannot be read. {_RESAVE}")
    return "\n".join(lines).replace("\r\n", "\n").replace("\r", "\n").strip("\n")
