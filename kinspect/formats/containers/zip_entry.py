"""A zip entry as a seekable file that h5py can read in place.

Python 3.11's `ZipFile.open` rewinds and re-reads from the entry's start on every backward
seek, and h5py seeks constantly: opening InceptionV3's 92 MB `model.weights.h5` that way took
15 s. Keras stores that entry uncompressed, so a window onto the zip file itself is exact and
costs nothing; a compressed entry is spooled to a temporary file once.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import tempfile
import zipfile
from typing import BinaryIO

from ...errors import FormatError

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"


class EntryWindow(io.RawIOBase):
    """Read-only view of bytes [start, start + size) of an open file."""

    def __init__(self, raw: BinaryIO, start: int, size: int) -> None:
        super().__init__()
        self._raw, self._start, self._size, self._pos = raw, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        self._raw.seek(self._start + self._pos)
        got = self._raw.readinto(memoryview(buffer)[:want])  # type: ignore[attr-defined]
        self._pos += got or 0
        return got or 0

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_entry(path: str, name: str) -> BinaryIO:
    """A seekable reader of one zip entry; the caller closes it. (Unbuffered: h5py seeks
    before nearly every read, so a buffer only adds copying.)"""
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
        if info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 0x1:
            raw = open(path, "rb")  # noqa: SIM115 - owned by the returned window
            raw.seek(info.header_offset)
            header = raw.read(_LOCAL_HEADER.size)
            fields = _LOCAL_HEADER.unpack(header) if len(header) == _LOCAL_HEADER.size \
                else None
            if fields is None or fields[0] != _LOCAL_SIGNATURE:
                raw.close()
                raise FormatError(f"zip entry {name}: bad local header")
            start = info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]
            if start + info.file_size > os.path.getsize(path):
                raw.close()
                raise FormatError(f"zip entry {name} is truncated")
            return EntryWindow(raw, start, info.file_size)  # type: ignore[return-value]
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - returned to the caller
        try:
            with z.open(info) as src:
                shutil.copyfileobj(src, spool, 1 << 20)
            spool.seek(0)
        except BaseException:  # a corrupt stream (bad CRC, zlib error) or a cancel
            spool.close()
            raise
        return spool
