"""Datasets, the tokenizer, uploads and batches."""
import codecs
import re

import pytest
import torch

from llmbreaker.engine.corpus import (BUNDLED, Batches, CharTokenizer, bundled_stats, bundled_text, display_name,
                                      read_upload, split_train_val)
from llmbreaker.engine.errors import UserInputError
from llmbreaker.engine.shakespeare import PLAYS, convert_play


def test_tokenizer_round_trip_on_every_dataset():
    for name in BUNDLED:
        text = bundled_text(name)
        tok = CharTokenizer.from_text(text)
        sample = text[:5000]
        assert tok.decode(tok.encode(sample)) == sample
        assert tok.vocab_size == len(set(text))


def test_whole_corpus_encoding_gives_the_same_ids_as_encode_for_any_alphabet():
    for text in [bundled_text(n) for n in BUNDLED] + ["Grüße aus Köln 🎉 — ¿qué tal? 你好\n\tend", "a"]:
        tok = CharTokenizer.from_text(text)
        ids = tok.encode_array(text)
        assert ids.dtype.name == "int64" and ids.tolist() == tok.encode(text)
    tok = CharTokenizer.from_chars(["b", "😀", "a"])
    assert tok.encode_array("a😀b").tolist() == [2, 1, 0]
    assert tok.encode_array("").tolist() == []
    with pytest.raises(KeyError):
        tok.encode_array("abc")  # "c" has no token


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


# -- bounds (docs/design.md §Robustness): distinct characters, length, mixed encodings ----------------------------

import hostile_files as hf  # noqa: E402
from llmbreaker.engine.corpus import MAX_TRAIN_CHARS, MAX_VOCAB, check_trainable, check_vocab, decode_text_file  # noqa: E402


def test_a_text_of_30000_distinct_characters_is_refused_before_training():
    text = decode_text_file(hf.many_characters_txt(30_000))
    with pytest.raises(UserInputError) as err:
        check_trainable(text, 64)
    assert err.value.code == "too_many_characters"
    assert "30,001 different characters" in err.value.message  # with the new line and f"{MAX_VOCAB:,}" in err.value.message


def test_the_trainer_refuses_it_before_building_a_model(monkeypatch):
    from llmbreaker.engine import trainer as trainer_mod
    from llmbreaker.engine.model import ModelConfig
    monkeypatch.setattr(trainer_mod, "MicroGPT", lambda *a, **k: pytest.fail("a model was built"))
    with pytest.raises(UserInputError):
        trainer_mod.Trainer(decode_text_file(hf.many_characters_txt(5_000)), ModelConfig(),
                            trainer_mod.TrainConfig(max_steps=10, eval_interval=5))


def test_chinese_greek_and_vietnamese_texts_of_a_few_hundred_words_are_under_the_cap():
    """A person's own writing in other scripts must not be refused: a Style base model of ~130
    characters plus 600 distinct hanzi (far more than 300 words of Chinese use) stays under the cap."""
    base = [chr(c) for c in range(32, 127)] + list("\nàáâãèéêìíòóôõùúýăđĩũơưạảấầẩẫậắằẳẵặẹẻẽếềểễệ")
    hanzi = "".join(chr(0x4E00 + (i * 7919) % 600) for i in range(1500))
    greek = "Η γλώσσα μας είναι παλιά και όμορφη, με λέξεις που ταξιδεύουν στον χρόνο. " * 30
    assert check_vocab(hanzi, base) <= MAX_VOCAB
    assert check_vocab(greek, base) <= MAX_VOCAB


def test_a_text_longer_than_training_takes_is_refused_by_the_engine():
    with pytest.raises(UserInputError) as err:
        check_trainable("ab " * (MAX_TRAIN_CHARS // 3 + 1), 64)
    assert err.value.code == "text_too_long"


def test_a_file_mixing_utf8_and_windows_1252_keeps_both_right():
    text = decode_text_file(hf.mixed_encoding_txt())
    assert text.splitlines() == ["Café au lait, naïve résumé.", "Crème brûlée – “quoted”.", "Déjà vu again."]
    assert "Ã" not in text


def test_dataset_upload_longer_than_training_is_cut_at_a_line_end_with_a_note():
    from llmbreaker.ui.widgets.inputs import dataset_cut
    text = ("a line of text\n" * (MAX_TRAIN_CHARS // 15 + 1000))
    head, note = dataset_cut(text)
    assert len(head) <= MAX_TRAIN_CHARS and head.endswith("a line of text") and text.startswith(head)
    assert note and f"{len(text):,}" in note
    assert dataset_cut("short text") == ("short text", None)
    one_line = "x" * (MAX_TRAIN_CHARS + 10)
    assert dataset_cut(one_line)[0] == "x" * MAX_TRAIN_CHARS  # no line end: cut at the limit
