"""Reading .docx uploads: text in document order, tables included, bad and hostile files refused."""
import io
import time
import zipfile

import docx
import pytest

from llmbreaker.engine import docx_reader
from llmbreaker.engine.corpus import MAX_UPLOAD_BYTES, read_upload
from llmbreaker.engine.docx_reader import read_docx
from llmbreaker.engine.errors import UserInputError


def _bytes(document) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _sample_docx() -> bytes:
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "PAGE HEADER (not part of the writing)"
    d.add_heading("My Essay", level=1)
    d.add_paragraph("First paragraph, with a “curly” quote.")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "A1"
    table.cell(0, 1).text = "B1"
    table.cell(1, 0).text = "A2"
    table.cell(1, 1).paragraphs[0].text = "B2 line one"
    table.cell(1, 1).add_paragraph("B2 line two")
    p = d.add_paragraph("Last ")
    p.add_run("paragraph").bold = True
    p.add_run(".")
    return _bytes(d)


def test_paragraphs_and_table_cells_come_out_in_document_order():
    assert read_docx(_sample_docx()) == (
        "My Essay\n"
        "First paragraph, with a “curly” quote.\n"
        "A1\nB1\nA2\nB2 line one\nB2 line two\n"
        "Last paragraph."
    )


def test_read_upload_accepts_docx_by_extension():
    text = read_upload("Essay.DOCX", _sample_docx())
    assert text.startswith("My Essay\nFirst paragraph") and "PAGE HEADER" not in text


def test_merged_cells_are_read_once_and_nested_tables_are_read():
    d = docx.Document()
    table = d.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "wide"  # horizontal merge
    table.cell(0, 2).text = "c"
    table.cell(1, 0).merge(table.cell(2, 0)).text = "tall"  # vertical merge
    table.cell(1, 1).text = "d"
    table.cell(1, 2).text = "e"
    table.cell(2, 1).text = "f"
    inner = table.cell(2, 2).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "x"
    inner.cell(0, 1).text = "y"
    assert table.cell(0, 0).text == table.cell(0, 1).text == "wide"  # python-docx repeats merged cells...
    lines = read_docx(_bytes(d)).split("\n")
    assert [l for l in lines if l] == ["wide", "c", "tall", "d", "e", "f", "x", "y"]  # ...we do not


def test_tracked_insertions_are_read_and_deletions_are_not():
    d = docx.Document()
    p = d.add_paragraph("kept ")
    xml = ('<w:ins xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:id="1" w:author="a">'
           '<w:r><w:t>inserted</w:t></w:r></w:ins>'
           '<w:del xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:id="2" w:author="a">'
           '<w:r><w:delText>deleted</w:delText></w:r></w:del>')
    from docx.oxml import parse_xml
    for el in parse_xml(f"<root>{xml}</root>"):
        p._p.append(el)
    assert read_docx(_bytes(d)) == "kept inserted"


def _bomb(size: int, name: str = "word/document.xml") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open(name, "w") as member:
            chunk = b" " * (1 << 20)
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return buf.getvalue()


def test_zip_bomb_is_refused_from_its_directory_without_unpacking(monkeypatch):
    data = _bomb(60 * 1024 * 1024)
    assert len(data) < 200_000  # 60 MB of spaces packs small
    opened = []
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: opened.append(a) or pytest.fail("unpacked"))
    t0 = time.perf_counter()
    with pytest.raises(UserInputError) as err:
        read_docx(data)
    assert err.value.code == "file_unreadable" and "50 MB" in err.value.message
    assert not opened and time.perf_counter() - t0 < 1.0


def test_highly_compressed_member_is_refused_even_under_the_total_cap():
    with pytest.raises(UserInputError) as err:
        read_docx(_bomb(5 * 1024 * 1024))  # 5 MB -> a few KB: ratio ~1000
    assert err.value.code == "file_unreadable" and "zip bomb" in err.value.message


def test_repetitive_but_honest_document_is_not_mistaken_for_a_bomb():
    d = docx.Document()
    for _ in range(2000):
        d.add_paragraph("The same line of text again and again, my friend.")
    data = _bytes(d)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml")
    assert info.file_size / info.compress_size > 100  # compresses like a bomb, but is small
    assert read_docx(data).count("\n") == 1999


@pytest.mark.parametrize("data", [b"not a zip at all", b"", b"PK\x03\x04" + bytes(range(256)) * 8,
                                  "plain text named .docx".encode("utf-16")])
def test_non_zip_bytes_are_refused(data):
    with pytest.raises(UserInputError) as err:
        read_docx(data)
    assert err.value.code == "file_unreadable" and "not a valid .docx" in err.value.message
    assert "save it again as .docx" in err.value.message and "paste the text" in err.value.message


def test_truncated_docx_is_refused():
    data = _sample_docx()
    with pytest.raises(UserInputError) as err:
        read_docx(data[: len(data) // 2])
    assert err.value.code == "file_unreadable" and "paste the text" in err.value.message


def test_zip_without_a_word_document_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(UserInputError) as err:
        read_docx(buf.getvalue())
    assert err.value.code == "file_unreadable" and "not a Word document" in err.value.message


def test_corrupt_document_xml_is_refused():
    data = _sample_docx()
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "word/document.xml":
                body = body[: len(body) // 2]  # XML cut in the middle
            zf.writestr(info, body)
    with pytest.raises(UserInputError) as err:
        read_docx(buf.getvalue())
    assert err.value.code == "file_unreadable" and "damaged" in err.value.message


def test_size_cap_matches_uploads():
    assert docx_reader.MAX_DOCX_BYTES == MAX_UPLOAD_BYTES
    with pytest.raises(UserInputError) as err:
        read_docx(b"PK" + b"\0" * MAX_UPLOAD_BYTES)
    assert err.value.code == "file_too_large"


def test_empty_docx_is_too_short_as_an_upload():
    with pytest.raises(UserInputError) as err:
        read_upload("empty.docx", _bytes(docx.Document()))
    assert err.value.code == "text_too_short"


# -- hostile .docx (docs/design.md §Robustness) ----------------------------------------------------

import hostile_files as hf  # noqa: E402


def test_200000_paragraphs_are_read_streamed_in_order():
    """The hostile .docx of docs/design.md §Robustness: read in full (the Style page then offers to cut it), one block in
    memory at a time (bench/hostile_uploads.py measures the server's memory)."""
    text = read_docx(hf.many_paragraphs_docx(200_000))
    lines = text.split("\n")
    assert len(lines) == 200_000 and lines[0] == "Line 0 of a long list." and lines[-1] == "Line 199999 of a long list."


@pytest.mark.parametrize("depth, why", [(2_000, "damaged"), (100_000, "zip bombs")])
def test_deeply_nested_xml_is_refused(depth, why):
    """Past libxml2's depth limit (256) the parser stops: "damaged"; 100,000 levels also compress
    like a bomb and are refused from the directory."""
    with pytest.raises(UserInputError) as err:
        read_docx(hf.deeply_nested_docx(depth))
    assert err.value.code == "file_unreadable" and why in err.value.message


def test_a_few_levels_of_content_controls_are_still_read():
    assert read_docx(hf.deeply_nested_docx(20)) == "deep"


def test_a_10000_entry_docx_is_refused_before_its_entries_are_listed(monkeypatch):
    data = hf.many_entries_docx(10_000)
    monkeypatch.setattr(zipfile, "ZipFile", lambda *a, **k: pytest.fail("listed"))
    with pytest.raises(UserInputError) as err:
        read_docx(data)
    assert "10,001 parts" in err.value.message and "Word document" in err.value.message


def test_entities_are_not_expanded():
    body = "<w:p><w:r><w:t>&lol;</w:t></w:r></w:p>"
    # a DOCTYPE that defines an entity: it must not be resolved
    xml = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY lol "lollollol">]>'
           f'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}'
           '</w:body></w:document>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", xml)
    try:
        text = read_docx(buf.getvalue())
    except UserInputError:
        return  # refused: fine too
    assert "lollollol" not in text
