"""Zip bombs: refuse them by declared sizes before reading, and read entries in bounded chunks.

Python's zipfile stops an entry at its declared size, but `ZipFile.read()` / `entry.read()`
inflate in one call of up to 2 GiB: an entry that lies about its size (declares 200 bytes,
inflates to 1 GiB) is fully inflated in memory before the size check cuts it. `read_entry`
reads 1 MiB at a time and stops at the declared size or a limit.
"""

from __future__ import annotations

import zipfile

from ...errors import FormatError

MAX_ENTRIES = 10_000
MAX_TOTAL = 8 << 30  # 8 GiB declared, uncompressed
MAX_RATIO = 200  # uncompressed / compressed, for entries over RATIO_MIN
RATIO_MIN = 16 << 20
MAX_JSON_ENTRY = 64 << 20  # config.json / metadata.json
CHUNK = 1 << 20


def check_zip_bomb(infos: list[zipfile.ZipInfo]) -> str | None:
    """Why this archive must not be inflated, or None. Uses declared sizes only."""
    if len(infos) > MAX_ENTRIES:
        return f"zip holds {len(infos):,} entries (limit {MAX_ENTRIES:,}): zip bomb?"
    total = sum(i.file_size for i in infos)
    if total > MAX_TOTAL:
        return f"zip entries declare {total:,} bytes uncompressed: zip bomb?"
    for info in infos:
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > RATIO_MIN and ratio > MAX_RATIO:
            return (f"zip entry '{info.filename}' inflates {ratio:,.0f}x to "
                    f"{info.file_size:,} bytes: zip bomb")
        if info.filename.endswith(".json") and info.file_size > MAX_JSON_ENTRY:
            return f"zip entry '{info.filename}' is {info.file_size:,} bytes of JSON: too large"
    return None


def read_entry(z: zipfile.ZipFile, name: str | zipfile.ZipInfo,
               limit: int = MAX_JSON_ENTRY) -> bytes:
    """An entry's bytes, inflated 1 MiB at a time; FormatError past `limit` or on bad data."""
    info = name if isinstance(name, zipfile.ZipInfo) else z.getinfo(name)
    if info.file_size > limit:
        raise FormatError(f"zip entry '{info.filename}' is {info.file_size:,} bytes "
                          f"(limit {limit:,})")
    parts: list[bytes] = []
    size = 0
    try:
        with z.open(info) as entry:
            while chunk := entry.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise FormatError(f"zip entry '{info.filename}' inflates past {limit:,} "
                                      "bytes: zip bomb")
                parts.append(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise FormatError(f"zip entry '{info.filename}' is broken: {exc}") from exc
    return b"".join(parts)
