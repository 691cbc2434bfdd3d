"""Datasets, the tokenizer, uploads and batches."""
import codecs
import re

import pytest
import torch

from llmbreaker.corpus import (BUNDLED, Batches, CharTokenizer, bundled_stats, bundled_text, display_name,
                               read_upload, split_train_val, word_set)
from llmbreaker.errors import UserInputError
from llmbreaker.shakespeare import PLAYS, convert_play


def test_tokenizer_round_trip_on_every_dataset():
    for name in BUNDLED:
        text = bundled_text(name)
        tok = CharTokenizer.from_text(text)
        sample = text[:5000]
        assert tok.decode(tok.encode(sample)) == sample
        assert tok.vocab_size == len(set(text))


def test_tokenizer_filter_drops_unknown_characters():
    tok = CharTokenizer.from_text("abc ")
    assert tok.filter("a😀b\tc") == "abc"


def test_shakespeare_is_in_tiny_shakespeare_form():
    text = bundled_text("shakespeare")
    stats = bundled_stats("shakespeare")
    assert 1_000_000 <= stats.characters <= 1_200_000
    assert 60 <= stats.vocabulary <= 70
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n")
    # no Markdown left: headings, bold speakers, italic stage directions, escapes
    for mark in ("#", "*", "_", "\\", "[", "]"):
        assert mark not in text, mark
    # every speech is "Speaker:" on its own line, then at least one line of speech
    speeches = text.strip().split("\n\n")
    assert len(speeches) > 5000
    speaker = re.compile(r"^[A-Za-z][A-Za-z ,'.&-]*:$")
    bad = [s for s in speeches if not (speaker.match(s.split("\n")[0]) and len(s.split("\n")) >= 2)]
    assert len(bad) / len(speeches) < 0.001, bad[:5]
    assert "MACBETH:" in text and "HAMLET:" in text and len(PLAYS) == 8


def test_play_conversion_drops_headings_and_stage_directions():
    md = ("# A Play\n\n## ACT I\n\n### SCENE I. A heath.\n\n_Thunder. Enter two Witches,\nslowly_\n\n"
          "**First Witch**  \nWhen shall we meet again  \n__\\[Aside]_  \nIn rain\\--or sun?\n\n_Exeunt_\n")
    assert convert_play(md) == "First Witch:\nWhen shall we meet again\nIn rain--or sun?\n"


def test_original_datasets_are_long_enough():
    assert bundled_stats("poems").characters >= 40_000
    assert bundled_stats("childrens").characters >= 120_000
    assert bundled_stats("childrens").words > 20_000


@pytest.mark.parametrize("data, expected", [
    ("héllo wörld".encode("utf-8"), "héllo wörld"),
    (codecs.BOM_UTF8 + "héllo".encode("utf-8"), "héllo"),
    ("héllo".encode("utf-16"), "héllo"),  # with BOM
    ("caf\xe9 \u201cquoted\u201d".encode("cp1252"), "caf\xe9 \u201cquoted\u201d"),
    (b"one\r\ntwo\rthree\n", "one\ntwo\nthree\n"),
])
def test_txt_uploads_are_decoded(data, expected):
    assert read_upload("notes.txt", data) == expected


@pytest.mark.parametrize("name, data, code", [
    ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "file_unreadable"),
    ("report.pdf", b"%PDF-1.4 hello", "file_invalid_type"),
    ("noext", b"hello", "file_invalid_type"),
    ("empty.txt", b"   \n\t ", "text_too_short"),
    ("big.txt", b"a" * (10 * 1024 * 1024 + 1), "file_too_large"),
])
def test_bad_uploads_get_a_clear_error(name, data, code):
    with pytest.raises(UserInputError) as err:
        read_upload(name, data)
    assert err.value.code == code
    assert err.value.message


def test_display_name_cannot_carry_markup():
    assert display_name("<img src=x onerror=alert(1)>.txt") == "_img src_x onerror_alert_1__.txt"
    assert display_name("../../etc/passwd") == "passwd"


def test_batches_are_windows_and_their_next_characters():
    data = torch.arange(1000)
    x, y = Batches(data, block_size=16, batch_size=5, generator=torch.Generator().manual_seed(0)).sample()
    assert x.shape == y.shape == (5, 16)
    assert torch.equal(y, x + 1)  # targets are the inputs shifted by one character
    assert torch.equal(x[:, 1:], x[:, :-1] + 1)  # contiguous windows


def test_split_is_ninety_ten_in_order():
    train, val = split_train_val(torch.arange(100))
    assert len(train) == 90 and len(val) == 10 and val[0] == 90


def test_word_set_is_lower_case_words():
    assert word_set("The cat's HAT, the end.") == {"the", "cat's", "hat", "end"}


def test_uploads_are_read_in_memory_and_never_touch_the_disk(monkeypatch):
    """Reading a .txt or .docx upload opens no file: any attempt to open or create one fails here."""
    import builtins
    import io as _io
    import os
    import tempfile

    import docx

    buf = _io.BytesIO()
    d = docx.Document()
    d.add_paragraph("A paragraph read from memory.")
    d.save(buf)
    docx_bytes = buf.getvalue()

    def no_disk(*args, **kwargs):
        raise AssertionError(f"an upload touched the disk: {args[:1]}")

    for target, name in [(builtins, "open"), (os, "open"), (_io, "open"), (tempfile, "mkstemp"),
                         (tempfile, "NamedTemporaryFile"), (tempfile, "TemporaryFile")]:
        monkeypatch.setattr(target, name, no_disk)
    assert read_upload("../../etc/passwd.txt", b"plain words") == "plain words"
    assert read_upload("/tmp/x.docx", docx_bytes) == "A paragraph read from memory."
