"""A run as one file (.lbrun, llmbreaker/engine/store/runfile.py): export a series with every field and
import it again under new tokens; hostile files are refused with a sentence for a person, and
nothing in a file is ever run."""
import io
import json
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest

from llmbreaker.engine.model import MicroGPT, ModelConfig
from llmbreaker.engine.model_io import save_model
from llmbreaker.engine.store import RunFileError, StoreError, new_token
from llmbreaker.engine.store import runfile

from test_store import checkpoint, db_url, open_store  # noqa: F401  (fixtures)

OWNER, FRIEND = "a" * 32, "f" * 32


@pytest.fixture(scope="module")
def model_bytes():
    return save_model(MicroGPT(ModelConfig(vocab_size=4, n_embd=16, n_layer=1, n_head=2, block_size=16)), "abc ")


def full_series(store, model, n=2, last_state="completed"):
    """A series as a page writes one: n runs with settings, info, losses, checkpoints with
    attention, next-character guesses and experts, and a model file."""
    head = new_token()
    tokens = [head] + [new_token() for _ in range(n - 1)]
    for i, t in enumerate(tokens):
        store.start_run(t, "moe", f"Poems #{i + 1}", {"model": {"n_expert": 4, "n_layer": 2}, "train": {"max_steps": 30},
                                                       "base": ""}, f"the text of run {i} ü 中文", 30,
                        series=head, owner=OWNER)
        store.run_info(t, {"vocab": list("abc "), "next_prompt": "ab", "parameters": 1234,
                           "probe_tokens": [0, 1, 2]})
        for j in range(3):
            store.add_losses(t, list(range(j * 10 + 1, j * 10 + 11)), [2.0 - 0.01 * k for k in range(10)])
            store.add_checkpoint(t, checkpoint((j + 1) * 10, experts=True))
        state = last_state if i == n - 1 else "completed"
        if state != "running":
            store.finish_run(t, state, seconds=2.5, message="why" if state == "error" else "",
                             model_file=model if state == "completed" else None)
    assert store.flush() and store.available, store.problem
    return tokens


def same_run(a, b):
    assert (a.page, a.label, a.settings, a.text, a.info) == (b.page, b.label, b.settings, b.text, b.info)
    assert (a.step, a.total_steps, a.seconds, a.message, a.title) == (b.step, b.total_steps, b.seconds, b.message, b.title)
    assert (a.train_loss, a.val_loss) == (b.train_loss, b.val_loss)
    assert a.steps == b.steps and a.losses == b.losses and a.model_file == b.model_file
    assert len(a.checkpoints) == len(b.checkpoints)
    for x, y in zip(a.checkpoints, b.checkpoints):
        assert (x.step, x.train_loss, x.val_loss, x.lr, x.elapsed, x.sample) == (y.step, y.train_loss, y.val_loss,
                                                                                 y.lr, y.elapsed, y.sample)
        assert x.next_token == y.next_token
        assert x.attention.shape == y.attention.shape and np.array_equal(x.attention, y.attention)
        assert x.experts.keys() == y.experts.keys() and x.experts["balance"] == y.experts["balance"]
        for k in ("share", "probe_top"):
            assert np.array_equal(x.experts[k], y.experts[k]) and x.experts[k].dtype == y.experts[k].dtype


def test_a_series_exported_and_imported_again_has_every_field_under_new_tokens(open_store, model_bytes):
    store = open_store()
    tokens = full_series(store, model_bytes)
    assert store.rename(tokens[0], OWNER, "Experts, balanced")
    data = store.export_run(tokens[1])  # any run of the series: the whole series
    assert data[:2] == b"PK" and zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    assert tokens[0].encode() not in data and OWNER.encode() not in data  # neither address nor owner travels
    head = store.import_run(data, FRIEND)
    assert head not in tokens
    old, new = store.load_series(tokens[0]), store.load_series(head)
    assert len(new) == 2 and all(r.token not in tokens and r.series == head and r.owner == FRIEND for r in new)
    assert new[0].token == head
    for a, b in zip(old, new):
        same_run(a, b)
        assert b.state == a.state == "completed"
    assert store.list_runs(FRIEND)[0].token == head and store.list_runs(FRIEND)[0].title == "Experts, balanced"
    assert store.list_runs(FRIEND)[0].runs == 2
    # Imported twice: two series, each with tokens of its own.
    again = store.import_run(data, FRIEND)
    assert again != head and [s.token for s in store.list_runs(FRIEND)] == [again, head]


def test_a_run_still_training_is_imported_interrupted_and_a_run_without_a_model_has_none(open_store, model_bytes):
    store = open_store()
    tokens = full_series(store, model_bytes, n=1, last_state="running")
    head = store.import_run(store.export_run(tokens[0]), OWNER)
    run = store.load_run(head)
    assert run.state == "interrupted" and run.step == 30 and run.model_file is None and len(run.checkpoints) == 3


def test_export_of_an_unknown_run_says_so(open_store):
    store = open_store()
    with pytest.raises(StoreError, match="There is no run at this address"):
        store.export_run(new_token())


# -- hostile files: each refused with a sentence, nothing written -----------------------------------
def a_file(model_bytes, store):
    return store.export_run(full_series(store, model_bytes)[0])


def rezip(data: bytes, change=None, add=None, drop=()) -> bytes:
    """The archive again with its manifest changed by `change(manifest)`, members added or dropped."""
    src = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(src.read("manifest.json"))
    if change:
        change(manifest)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            if info.filename == "manifest.json" or info.filename in drop:
                continue
            zf.writestr(info.filename, src.read(info.filename))
        if "manifest.json" not in (add or {}):
            zf.writestr("manifest.json", json.dumps(manifest))
        for name, blob in (add or {}).items():
            zf.writestr(name, blob)
    return out.getvalue()


def refused(store, data, *words):
    before = set(store.tokens())
    with pytest.raises(RunFileError) as e:
        store.import_run(data, OWNER)
    message = str(e.value)
    for w in words:
        assert w in message, message
    assert "Traceback" not in message and set(store.tokens()) == before
    return message


def test_not_a_zip_and_garbage_bytes_are_refused(open_store):
    store = open_store()
    m = refused(store, os.urandom(5000), "This file cannot be imported", "not a run file saved by LLMBreaker",
                "Choose a .lbrun file")
    assert m.endswith("Download button on Your runs.")
    refused(store, b"", "not a run file")
    refused(store, b"PK\x05\x06" + b"\x00" * 18, "not a run file")  # an empty archive's record, and nothing
    refused(store, "not bytes", "not a file")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(open_store, monkeypatch):
    store = open_store()
    monkeypatch.setattr(runfile, "MAX_FILE_BYTES", 1000)
    refused(store, b"PK" + b"\x00" * 2000, "more than the 0 MB")


def test_a_zip_bomb_is_refused_from_its_directory(open_store, tmp_path):
    store = open_store()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps({"format": "llmbreaker-run", "version": 1, "runs": []}))
        with zf.open("runs/0/text.txt", "w") as f:  # 300 MB of zeros in ~300 KB
            chunk = bytes(1 << 20)
            for _ in range(300):
                f.write(chunk)
    data = out.getvalue()
    assert len(data) < 1_000_000
    refused(store, data, "would unpack to 300 MB, more than the 256 MB allowed")
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(400):
            zf.writestr(f"p{i}", b"")
    refused(store, many.getvalue(), "it holds 400 parts")


def test_a_part_that_lies_about_its_size_is_refused_as_damaged(open_store, model_bytes):
    store = open_store()
    data = bytearray(a_file(model_bytes, store))
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = zf.getinfo("runs/0/text.txt")
    small = 5
    # The local header's and the central directory's uncompressed size both say 5 bytes.
    struct.pack_into("<I", data, info.header_offset + 22, small)
    eocd = bytes(data).rfind(b"PK\x05\x06")
    entry = struct.unpack_from("<I", data, eocd + 16)[0]  # the central directory's first entry
    while bytes(data[entry + 46:entry + 46 + struct.unpack_from("<H", data, entry + 28)[0]]) != b"runs/0/text.txt":
        entry += 46 + sum(struct.unpack_from("<HHH", data, entry + 28))
    struct.pack_into("<I", data, entry + 24, small)
    refused(store, bytes(data), "damaged")


def test_a_pickle_inside_is_never_run(open_store, model_bytes, tmp_path):
    store = open_store()
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    payload = pickle.dumps(Evil())
    good = a_file(model_bytes, store)
    # A part a run file does not have.
    refused(store, rezip(good, add={"runs/0/data.pkl": payload}), "parts a run file does not have", "data.pkl")
    # The model file swapped for a pickle, bare or inside torch's zip format.
    src = zipfile.ZipFile(io.BytesIO(good))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info in src.infolist():
            zf.writestr(info.filename, payload if info.filename == "runs/0/model.pt" else src.read(info.filename))
    refused(store, out.getvalue(), "run 1's model is not a model this app can use")
    import torch
    buf = io.BytesIO()
    torch.save({"format": "llmbreaker-model", "version": 1, "config": Evil(), "vocab": [], "state_dict": {}}, buf)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info in src.infolist():
            blob = buf.getvalue() if info.filename == "runs/0/model.pt" else src.read(info.filename)
            zf.writestr(info.filename, blob, compress_type=zipfile.ZIP_STORED)
    refused(store, out.getvalue(), "model is not a model this app can use")
    # The manifest itself as a pickle.
    refused(store, rezip(good, add={"manifest.json": payload}), "description is not readable")
    assert not marker.exists()


def test_a_newer_format_version_says_to_update(open_store, model_bytes):
    store = open_store()
    good = a_file(model_bytes, store)
    m = refused(store, rezip(good, lambda m: m.update(version=2)), "saved by a newer LLMBreaker (format 2",
                "Update the app")
    assert "Choose a .lbrun" not in m
    refused(store, rezip(good, lambda m: m.update(version="1")), "format version is missing")
    refused(store, rezip(good, lambda m: m.update(version=0)), "format version (0)")
    refused(store, rezip(good, lambda m: m.update(format="something-else")), "not a run file saved by LLMBreaker")


def test_huge_arrays_and_wrong_shapes_are_refused(open_store, model_bytes):
    store = open_store()
    good = a_file(model_bytes, store)

    def shape(value):
        def change(m):
            m["runs"][0]["checkpoints"][0]["attention_shape"] = value
        return change
    refused(store, rezip(good, shape([4096, 4096, 4096])), "far more attention values")
    refused(store, rezip(good, shape([2, 2, 8, 7])), "attention.f2 holds", "where its description says")
    refused(store, rezip(good, shape([2, 2, -8, -8])), "attention shape that is not an array's")
    refused(store, rezip(good, shape("2x2")), "attention shape that is not an array's")
    refused(store, rezip(good, shape([1] * 7)), "attention shape")

    def losses(m):
        m["runs"][0]["losses"] = 10_000
    refused(store, rezip(good, losses), "steps.i4 holds")
    big = rezip(good, add={"runs/0/extra.f4": bytes(10)})
    refused(store, big, "parts a run file does not have")


def test_too_many_runs_or_checkpoints_and_long_strings_are_refused(open_store, model_bytes, monkeypatch):
    store = open_store()
    good = a_file(model_bytes, store)
    refused(store, rezip(good, lambda m: m.update(runs=m["runs"] * 40)), "holds 80 runs, more than the 64")
    monkeypatch.setattr(runfile, "MAX_CHECKPOINTS", 2)
    refused(store, rezip(good), "3 checkpoints are more than the 2")
    monkeypatch.undo()

    def field(name, value, checkpoint=None):
        def change(m):
            target = m["runs"][0] if checkpoint is None else m["runs"][0]["checkpoints"][checkpoint]
            target[name] = value
        return change
    refused(store, rezip(good, field("label", "x" * 10_000)), "name is 10,000 characters long, more than the 300")
    refused(store, rezip(good, field("title", 5)), "title is not text")
    refused(store, rezip(good, field("sample", "y" * 200_000, 0)), "sample is 200,000 characters")
    refused(store, rezip(good, field("step", "10", 1)), "checkpoint 2's step is not a whole number")
    refused(store, rezip(good, field("state", "hacked")), "state is not one a run can have")
    refused(store, rezip(good, field("page", "../../etc")), "page is not the name of a page")
    refused(store, rezip(good, field("settings", [1, 2])), "settings are not a run's settings")
    refused(store, rezip(good, field("next_token", [["e", float("nan")]], 0)), "not a finite number")
    refused(store, rezip(good, field("next_token", [["ee" * 20, 0.5]], 0)), "pairs of a character and a chance")
    refused(store, rezip(good, field("experts", {"share": {"__array__": [[1], [2, 3]], "dtype": "float32"}}, 0)),
            "not a regular array")
    refused(store, rezip(good, field("experts", {"share": {"__array__": [1], "dtype": "object"}}, 0)), "unknown type")
    deep = []
    for _ in range(100):
        deep = [deep]
    refused(store, rezip(good, field("info", {"x": deep})), "nested far deeper")
    refused(store, rezip(good, lambda m: m.update(runs=[])), "it holds no runs")
    refused(store, rezip(good, drop=("runs/0/text.txt",)), "part text.txt is missing")
    refused(store, rezip(good, drop=("runs/0/text.txt",), add={"runs/0/text.txt": b"\xff\xfe\xfa"}), "not UTF-8")


def test_an_import_larger_than_the_store_keeps_is_refused(open_store, model_bytes):
    store = open_store()
    data = a_file(model_bytes, store)
    small = open_store(max_bytes=1000)
    refused(small, data, "more than this server keeps")


def test_a_file_twice_the_same_name_is_refused(open_store, model_bytes):
    store = open_store()
    good = a_file(model_bytes, store)
    src = zipfile.ZipFile(io.BytesIO(good))
    out = io.BytesIO()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate: that is the point
        with zipfile.ZipFile(out, "w") as zf:
            for info in src.infolist():
                zf.writestr(info.filename, src.read(info.filename))
            zf.writestr("runs/0/text.txt", b"another text")
    refused(store, out.getvalue(), "names one of its parts twice")
