"""A cheap look at a path's content, shared by every reader's `match`.

Detection is by content, never by extension alone: real files are misnamed (a weights-only
`model.h5`, a pickle called `transformer.h5`). The probe reads the head of a file once.
"""

from __future__ import annotations

import os
import re
import zipfile
from functools import cached_property

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
HEAD_BYTES = 4096
LFS_POINTER = b"version https://git-lfs.github.com/spec/"
# A protocol-0/1 pickle usually opens with GLOBAL `c<module>\n<name>\n`.
_PICKLE_GLOBAL = re.compile(rb"^c[A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n")


class Probe:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.is_dir = os.path.isdir(self.path)
        self.exists = os.path.exists(self.path)
        self.name = os.path.basename(self.path.rstrip(os.sep))
        self.suffix = os.path.splitext(self.name)[1].lower()

    @cached_property
    def size(self) -> int:
        return os.path.getsize(self.path) if self.exists and not self.is_dir else 0

    @cached_property
    def head(self) -> bytes:
        if self.is_dir or not self.exists:
            return b""
        try:
            with open(self.path, "rb") as f:
                return f.read(HEAD_BYTES)
        except OSError:
            return b""

    @cached_property
    def is_hdf5(self) -> bool:
        # HDF5 allows a user block: the signature may sit at 0, 512, 1024, 2048… (we check the
        # common offsets within the head).
        head = self.head
        return any(head[off:off + 8] == HDF5_SIGNATURE for off in (0, 512, 1024, 2048))

    @cached_property
    def h5_root(self) -> tuple[frozenset[str], frozenset[str]]:
        """(root attribute names, root member names) of an HDF5 file; empty when not HDF5."""
        if not self.is_hdf5:
            return frozenset(), frozenset()
        try:
            import h5py

            with h5py.File(self.path, "r") as f:
                return frozenset(f.attrs.keys()), frozenset(f.keys())
        except Exception:  # noqa: BLE001 - a broken HDF5 file matches nothing; open() says why
            return frozenset(), frozenset()

    @cached_property
    def zip_names(self) -> frozenset[str]:
        if not self.head.startswith(b"PK"):
            return frozenset()
        try:
            with zipfile.ZipFile(self.path) as z:
                return frozenset(z.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return frozenset()

    @cached_property
    def is_pickle(self) -> bool:
        """Python pickle content (any protocol), told by its header without unpickling."""
        return is_pickle_bytes(self.head)

    @cached_property
    def is_lfs_pointer(self) -> bool:
        """A Git LFS pointer: the real file was never fetched (`git lfs pull`)."""
        return self.head.startswith(LFS_POINTER) and self.size < 1024

    def lfs_info(self) -> str:
        """`oid sha256:…, size N` from an LFS pointer, for the error message."""
        text = self.head.decode("utf-8", "replace")
        fields = dict(line.split(" ", 1) for line in text.splitlines() if " " in line)
        size = fields.get("size", "?")
        return f"object {fields.get('oid', '?')[:19]}…, {size} bytes"

    def text_head(self) -> str | None:
        """The head decoded as text, or None for binary content."""
        head = self.head
        if not head or b"\x00" in head:
            return None
        try:
            return head.decode("utf-8")
        except UnicodeDecodeError:
            # A multi-byte character may be cut at the end of the head.
            try:
                return head[:-4].decode("utf-8")
            except UnicodeDecodeError:
                return None


def is_pickle_bytes(head: bytes) -> bool:
    """True for a pickle stream: PROTO 2-5 header, or a protocol 0/1 GLOBAL opcode first, or a
    protocol 0/1 container opening whose opcodes parse (listed by pickletools, never run)."""
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return True
    if _PICKLE_GLOBAL.match(head):
        return True
    if head[:1] not in (b"(", b"]", b"}", b")"):
        return False
    import io
    import pickletools

    count = 0
    try:
        for opcode, _arg, _pos in pickletools.genops(io.BytesIO(head)):
            count += 1
            if opcode.name == "STOP":
                return count >= 2
    except Exception:  # noqa: BLE001 - not opcodes, or the head ends mid-pickle
        return count >= 8 and len(head) >= HEAD_BYTES
    return False
