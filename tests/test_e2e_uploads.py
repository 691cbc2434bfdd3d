"""Real browser: every bad upload a stranger might try on the Style page, one after the other in
one tab. Each gets a clear message, the text the person had in the box stays, and good files in
other encodings are decoded into the box. The server answers its health check at the end."""
import codecs
import io
import re
import urllib.request
import zipfile

import pytest

from browser import ARTIFACTS
from conftest import unexpected_console_errors
from test_e2e_style import open_style

pytestmark = pytest.mark.e2e

KEPT = "My own words, typed before any upload, must survive every failed one."


def _docx(text: str) -> bytes:
    import docx
    d = docx.Document()
    d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b" " * (60 * 1024 * 1024))
    return buf.getvalue()


def _tables_and_header_only() -> bytes:
    import docx
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "HEADER TEXT"
    body = d.element.body
    for p in list(body.iterchildren("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p")):
        body.remove(p)
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Only a table"
    table.cell(0, 1).text = "and no paragraphs"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


BAD = [  # (file name, bytes, words of the message a person sees)
    ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "binary file"),
    ("empty.txt", b"  \n\t  \n", "The file is empty"),
    ("broken.docx", _docx("Half a document.")[:900], "not a valid .docx"),
    ("bomb.docx", _zip_bomb(), "would unpack to"),
    ("notes.docx", b"just text with a .docx name", "not a valid .docx"),
]


def upload(page, name: str, data: bytes, mime: str = "text/plain") -> None:
    page.locator('input[type="file"]').first.set_input_files({"name": name, "mimeType": mime, "buffer": data})


def test_bad_uploads_are_explained_and_the_text_is_kept_good_encodings_are_read(page, server):
    from playwright.sync_api import expect

    open_style(page, server)
    box = page.get_by_role("textbox", name="Your writing")
    box.fill(KEPT)
    box.press("Control+Enter")
    alert = page.locator('[data-testid="stAlert"]')
    for name, data, words in BAD:
        upload(page, name, data)
        expect(alert.filter(has_text=words)).to_be_visible(timeout=30_000)
        expect(alert.filter(has_text="Your text below is unchanged")).to_be_visible()
        expect(box).to_have_value(KEPT)
    page.screenshot(path=str(ARTIFACTS / "upload-bad.png"), full_page=True)

    # Types and sizes the uploader itself refuses, before anything reaches the server.
    upload(page, "paper.pdf", b"%PDF-1.4 fake", "application/pdf")
    expect(page.get_by_text(re.compile(r"pdf files are not allowed", re.I))).to_be_visible(timeout=30_000)
    expect(box).to_have_value(KEPT)
    upload(page, "huge.txt", b"a" * (10 * 1024 * 1024 + 10))
    expect(page.get_by_text(re.compile(r"File must be 10(\.0)?\s?MB or smaller", re.I))).to_be_visible(timeout=30_000)
    expect(box).to_have_value(KEPT)

    # Good files in other encodings and line endings are decoded, not refused.
    for name, data, expected in [
        ("bom.txt", codecs.BOM_UTF8 + "Caf\u00e9 au lait, s'il vous pla\u00eet.".encode(), "Caf\u00e9 au lait, s'il vous pla\u00eet."),
        ("utf16.txt", "Na\u00efve r\u00e9sum\u00e9 in UTF-16.".encode("utf-16"), "Na\u00efve r\u00e9sum\u00e9 in UTF-16."),
        ("windows.txt", "\u201cSmart quotes\u201d \u2013 from Windows\r\nline two\rline three".encode("cp1252"),
         "\u201cSmart quotes\u201d \u2013 from Windows\nline two\nline three"),
        ("table.docx", _tables_and_header_only(), "Only a table\nand no paragraphs"),
    ]:
        upload(page, name, data)
        expect(box).to_have_value(expected, timeout=30_000)
    assert urllib.request.urlopen(server + "/_stcore/health", timeout=5).read() == b"ok"
    assert unexpected_console_errors(page) == [], page.console_errors


def test_a_single_5_mb_line_is_read_and_offered_a_cut(page, server):
    """One enormous line: the page stays responsive, says the text is too long, and cuts it."""
    from playwright.sync_api import expect

    open_style(page, server)
    upload(page, "one-line.txt", b"word " * (1024 * 1024))
    expect(page.get_by_text(re.compile(r"Text too long"))).to_be_visible(timeout=60_000)
    page.get_by_role("button", name=re.compile("Cut the text to the limit")).click()
    box = page.get_by_role("textbox", name="Your writing")
    expect(page.get_by_text(re.compile(r"Text too long"))).to_have_count(0, timeout=30_000)
    # The note can go a moment before the box shows the cut text (5 MB to redraw on a busy machine).
    page.wait_for_function("""() => {
        const box = document.querySelector('textarea[aria-label="Your writing"]');
        return box && box.value.length > 0 && box.value.length <= 50000;
    }""", timeout=30_000)
    assert 0 < len(box.input_value()) <= 50_000
    assert unexpected_console_errors(page) == [], page.console_errors
