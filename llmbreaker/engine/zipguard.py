"""Checks on a zip archive's directory, made before any member is inflated or any reader is opened.

A .docx and a model file (`torch.save`) are both zip archives, and a zip's directory says how big
each member is. Both readers trust it: `zipfile` (under python-docx) never reads past a member's
declared size, and torch's reader allocates a member's declared size before inflating it. So
bounding the declared sizes bounds memory, provided the directory itself is small and honest:

- the number of entries is read from the end-of-directory record first, so a 10,000-entry archive
  is refused before `zipfile` builds an object for each entry;
- `stored_only` (model files: `torch.save` never compresses) requires every member to be stored
  as it is, with the same size in the directory and in the member's own header, and to lie inside
  the file: then nothing can inflate to more than the file weighs.
"""
from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_LOCAL = b"PK\x03\x04"


def _mb(n: int) -> str:
    mb = n / 2**20
    return f"{mb:,.0f}" if mb >= 10 else f"{mb:,.1f}"


class ZipRefused(Exception):
    """The archive breaks a rule; `reason` is a plain-words clause ("it holds 10,000 parts ...")."""

    def __init__(self, reason: str, kind: str):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind  # "not_zip" | "too_many" | "too_big" | "compressed"


@dataclass(frozen=True)
class Member:
    name: str
    size: int  # declared inflated size
    compressed: int
    method: int


def declared_entries(data: bytes) -> int | None:
    """The entry count of the end-of-directory record (Zip64's when present), or None when there
    is no such record (not a zip archive). Reads a few bytes; builds nothing."""
    tail_start = max(0, len(data) - (22 + 65535))
    at = data.rfind(_EOCD, tail_start)
    if at < 0 or at + 22 > len(data):
        return None
    count = struct.unpack_from("<H", data, at + 10)[0]
    loc = at - 20
    if count == 0xFFFF and loc >= 0 and data[loc:loc + 4] == _EOCD64_LOCATOR:
        offset = struct.unpack_from("<Q", data, loc + 8)[0]
        if offset + 56 <= len(data) and data[offset:offset + 4] == b"PK\x06\x06":
            count = struct.unpack_from("<Q", data, offset + 32)[0]
    return count


def check_zip(data: bytes, *, max_members: int, max_total: int, stored_only: bool = False) -> list[Member]:
    """The members of a zip archive, after the rules above. Raises ZipRefused."""
    count = declared_entries(data)
    if count is None:
        raise ZipRefused("it is not a zip archive", "not_zip")
    if count > max_members:
        raise ZipRefused(f"it holds {count:,} parts, far more than it should ({max_members:,} at most)", "too_many")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error):
        raise ZipRefused("it is a damaged or partly uploaded zip archive", "not_zip")
    if len(infos) > max_members:  # a directory that disagrees with its own count
        raise ZipRefused(f"it holds {len(infos):,} parts, far more than it should ({max_members:,} at most)",
                         "too_many")
    if stored_only:
        for i in infos:
            if i.compress_type != zipfile.ZIP_STORED:
                raise ZipRefused("its parts are compressed, which files saved by this app never are", "compressed")
            if i.compress_size != i.file_size or i.header_offset + 30 + i.file_size > len(data):
                raise ZipRefused(f"a part claims {_mb(i.file_size)} MB, more than the file holds", "too_big")
            head = data[i.header_offset:i.header_offset + 30]
            if len(head) < 30 or head[:4] != _LOCAL:
                raise ZipRefused("it is a damaged zip archive", "not_zip")
            method, _, _, _, csize, usize = struct.unpack_from("<HHHIII", head, 8)
            if method != zipfile.ZIP_STORED or (csize not in (i.file_size, 0xFFFFFFFF, 0)
                                                or usize not in (i.file_size, 0xFFFFFFFF, 0)):
                raise ZipRefused("its parts are compressed, which files saved by this app never are", "compressed")
    total = sum(i.file_size for i in infos)
    if total > max_total:
        raise ZipRefused(f"it would unpack to {_mb(total)} MB, more than the {_mb(max_total)} MB allowed", "too_big")
    members = [Member(i.filename, i.file_size, i.compress_size, i.compress_type) for i in infos]
    return members
