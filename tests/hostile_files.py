"""Crafted hostile uploads (docs/design.md §Robustness), built in memory: shared by the tests and by
bench/hostile_uploads.py, which uploads each to a running server and measures its memory.

Every file here is small on the wire and large if trusted: a model whose zip record inflates to
1 or 4 GiB, a model whose tensors are stride-0 views of one number, a storage far larger than
its tensor, 10,000-entry archives, a .docx of 200,000 paragraphs, deeply nested XML, a text of
30,000 distinct characters.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

import torch

from llmbreaker.engine.corpus import CharTokenizer
from llmbreaker.engine.model import MicroGPT, ModelConfig
from llmbreaker.engine.model_io import FORMAT, save_model

TEXT = "the quick brown fox jumps over the lazy dog. " * 40


def small_model() -> tuple[MicroGPT, CharTokenizer]:
    tok = CharTokenizer.from_text(TEXT)
    torch.manual_seed(0)
    return MicroGPT(ModelConfig(vocab_size=tok.vocab_size)), tok


def payload(model: MicroGPT, tok: CharTokenizer) -> dict:
    return {"format": FORMAT, "version": 1, "config": model.config.to_dict(), "vocab": list(tok.chars),
            "state_dict": {k: v.clone() for k, v in model.state_dict().items()}}


def torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def valid_model_file() -> bytes:
    return save_model(*small_model())


def float64_model_file() -> bytes:
    p = payload(*small_model())
    p["state_dict"] = {k: v.double() for k, v in p["state_dict"].items()}
    return torch_bytes(p)


def stride0_model_file() -> bytes:
    """The model-file attack of docs/design.md §Robustness: every tensor a stride-0 view of one float, shapes inside the
    old bounds (256 dims, 8 layers, 16 heads, block 256, 500 characters, 16 experts): ~18 KB on
    disk, a 69.6 M-parameter model once cloned."""
    cfg = ModelConfig(vocab_size=500, n_embd=256, n_layer=8, n_head=16, block_size=256, n_expert=16, expert_top_k=16)
    with torch.device("meta"):
        shapes = {k: v.shape for k, v in MicroGPT(cfg).state_dict().items()}
    one = torch.zeros(1)
    state = {k: one.expand(s) for k, s in shapes.items()}
    return torch_bytes({"format": FORMAT, "version": 1, "config": cfg.to_dict(),
                        "vocab": [chr(0x4E00 + i) for i in range(500)], "state_dict": state})


def stride0_small_model_file() -> bytes:
    """Within every size bound, but one tensor is a stride-0 view."""
    p = payload(*small_model())
    w = p["state_dict"]["ln_f.weight"]
    p["state_dict"]["ln_f.weight"] = torch.ones(1).expand(w.shape)
    return torch_bytes(p)


def big_storage_model_file(extra: int = 2_000_000) -> bytes:
    """A tensor that is a window into a storage far larger than its shape."""
    p = payload(*small_model())
    w = p["state_dict"]["ln_f.bias"]
    p["state_dict"]["ln_f.bias"] = torch.zeros(w.numel() + extra)[: w.numel()]
    return torch_bytes(p)


# -- zip archives written by hand (zipfile cannot write a pre-compressed member) -----------------

def _zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """members: (name, raw bytes as stored, method, crc32, inflated size). Zip64 records throughout,
    so declared sizes may pass 4 GiB."""
    out, central = io.BytesIO(), []
    for name, raw, method, crc, usize in members:
        offset = out.tell()
        n = name.encode()
        extra = struct.pack("<HHQQ", 1, 16, usize, len(raw))
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 45, 0, method, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                              len(n), len(extra)) + n + extra)
        out.write(raw)
        cextra = struct.pack("<HHQQQ", 1, 24, usize, len(raw), offset)
        central.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 45, 45, 0, method, 0, 0, crc, 0xFFFFFFFF,
                                   0xFFFFFFFF, len(n), len(cextra), 0, 0, 0, 0, 0xFFFFFFFF) + n + cextra)
    cd_start = out.tell()
    for c in central:
        out.write(c)
    cd_size = out.tell() - cd_start
    eocd64 = out.tell()
    out.write(struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, len(members), len(members), cd_size,
                          cd_start))
    out.write(struct.pack("<4sIQI", b"PK\x06\x07", 0, eocd64, 1))
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    return out.getvalue()


def _stored_members(data: bytes) -> list[tuple[str, bytes, int, int, int]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i.filename, zf.read(i), 0, i.CRC, i.file_size) for i in zf.infolist()]


def deflated_zeros(size: int) -> tuple[bytes, int]:
    """A raw deflate stream of `size` zero bytes, and their CRC-32, without making them: one
    full-flushed 1 MiB segment (it refers to nothing before it) repeated, then the final block."""
    mib = 1 << 20
    assert size % mib == 0
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = c.compress(bytes(mib)) + c.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    crc, chunk = 0, bytes(mib)
    for _ in range(size // mib):
        crc = zlib.crc32(chunk, crc)
    return segment * (size // mib) + end, crc


def zip_bomb_model_file(gib: int) -> bytes:
    """A real model file in which one tensor's record is a deflated record that inflates to `gib`
    GiB (about 1 MB on disk per GiB)."""
    members = _stored_members(valid_model_file())
    name = next(m[0] for m in members if "/data/" in m[0])
    raw, crc = deflated_zeros(gib << 30)
    members = [(name, raw, 8, crc, gib << 30) if m[0] == name else m for m in members]
    return _zip(members)


def declared_size_model_file(gib: int) -> bytes:
    """A stored record whose directory claims `gib` GiB the file does not hold."""
    members = _stored_members(valid_model_file())
    name = next(m[0] for m in members if "/data/" in m[0])
    return _zip([(n, raw, 0, crc, gib << 30 if n == name else usize) for n, raw, m, crc, usize in members])


def many_entries_model_file(n: int = 10_000) -> bytes:
    members = _stored_members(valid_model_file())
    members += [(f"archive/extra/{i}", b"", 0, 0, 0) for i in range(n)]
    return _zip(members)


# -- .docx ---------------------------------------------------------------------------------------

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                  '2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')


def docx_from_body(body: str) -> bytes:
    xml = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W_NS}"><w:body>{body}</w:body></w:document>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("word/document.xml", xml)
    return buf.getvalue()


def many_paragraphs_docx(n: int = 200_000) -> bytes:
    """The hostile .docx (docs/design.md §Robustness): 200,000 short paragraphs, ~0.9 MB compressed."""
    return docx_from_body("".join(f"<w:p><w:r><w:t>Line {i} of a long list.</w:t></w:r></w:p>" for i in range(n)))


def deeply_nested_docx(depth: int = 100_000) -> bytes:
    return docx_from_body("<w:sdt>" * depth + "<w:p><w:r><w:t>deep</w:t></w:r></w:p>" + "</w:sdt>" * depth)


def many_entries_docx(n: int = 10_000) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("word/document.xml", f'<w:document xmlns:w="{_W_NS}"><w:body/></w:document>')
        for i in range(n):
            zf.writestr(f"word/media/{i}.bin", b"")
    return buf.getvalue()


# -- text ----------------------------------------------------------------------------------------

def many_characters_txt(n: int = 30_000) -> bytes:
    """A text of `n` distinct CJK and other letters (docs/design.md §Robustness: 30,000 in 118 KB)."""
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + min(n, 20_000))]
    chars += [chr(c) for c in range(0xAC00, 0xAC00 + max(0, n - 20_000))]
    return "\n".join("".join(chars[i:i + 40]) for i in range(0, len(chars), 40)).encode("utf-8")


def mixed_encoding_txt() -> bytes:
    return ("Caf\u00e9 au lait, na\u00efve r\u00e9sum\u00e9.\n".encode("utf-8")
            + "Cr\u00e8me br\u00fbl\u00e9e \u2013 \u201cquoted\u201d.\n".encode("cp1252")
            + "D\u00e9j\u00e0 vu again.\n".encode("utf-8"))
