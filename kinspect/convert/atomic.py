"""Atomic outputs: write next to DST under a temporary name, rename at the end.

Why: after a failure or a cancel nothing may be left at DST, and an existing DST is only
replaced with `force`. The temporary sits in DST's folder so the final rename stays on one
file system (os.replace is atomic there).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import InvalidRequest


def check_destination(dst: str, force: bool) -> None:
    """Refuse an existing DST unless forced, and a DST whose folder does not exist."""
    if os.path.lexists(dst) and not force:
        raise InvalidRequest("destination exists (use --force to overwrite)", dst)
    parent = os.path.dirname(os.path.abspath(dst))
    if not os.path.isdir(parent):
        raise InvalidRequest(f"folder does not exist: {parent}", dst)


@contextmanager
def atomic_path(dst: str, force: bool = False, suffix: str = "") -> Iterator[str]:
    """Yield a fresh temporary path beside DST (nothing exists there yet); on success move it
    to DST (replacing an old DST when `force`), on any error remove it and re-raise.

    `suffix` keeps the extension libraries insist on (Keras picks the format by suffix).
    """
    dst = os.path.abspath(dst)
    check_destination(dst, force)
    work = tempfile.mkdtemp(prefix=f".{os.path.basename(dst)}.", suffix=".kinspect-tmp",
                            dir=os.path.dirname(dst))
    tmp = os.path.join(work, "out" + suffix)
    try:
        yield tmp
        if not os.path.lexists(tmp):
            raise FileNotFoundError(f"converter wrote nothing at {tmp}")
        if os.path.lexists(dst):
            # Replace: move the old DST aside first so that a failing rename keeps it.
            old = os.path.join(work, "old")
            os.replace(dst, old)
            try:
                os.replace(tmp, dst)
            except OSError:
                os.replace(old, dst)
                raise
        else:
            os.replace(tmp, dst)
    finally:
        shutil.rmtree(work, ignore_errors=True)
