"""HDF5 parts that read another file: found before anything follows them.

An HDF5 file can point outside itself three ways: an external link (a group or dataset that
lives in another file, opened as soon as the link is followed), external storage (a dataset
whose bytes sit in raw files named in its creation properties) and a virtual dataset (mapped
from datasets of other files). h5py follows all three silently, so `info`, the tensor view and
the weights exports would show and copy another file's bytes. Readers call `check_file` right
after opening, before any `group.get`; loaders go through `dataset`, which walks the path link
by link without following an external one. The scan reports the same parts as findings.
"""

from __future__ import annotations

from typing import Any

import h5py

from ...errors import FormatError
from . import bounds

MAX_REPORTED = 20


def outside_parts(f: h5py.Group) -> list[tuple[str, str]]:
    """(HDF5 path, what it reads) of every part that reads another file, without following
    external links. Low-level calls (H5Lvisit with link info, H5Dopen and its creation
    properties): h5py's visititems_links builds a Link object per link and a Dataset per
    dataset, 52 ms for InceptionV3's .h5 here against 11 ms this way, on every open."""
    found: list[tuple[str, str]] = []

    def visit(raw: bytes, info: Any) -> Any:
        name = raw.decode("utf-8", "replace")
        if info.type == h5py.h5l.TYPE_EXTERNAL:
            target, where = (v.decode("utf-8", "replace") for v in f.id.links.get_val(raw))
            found.append((f"/{name}", f"external link to {target}:{where}"))
        elif info.type == h5py.h5l.TYPE_HARD:
            why = _dataset_outside(f, raw)
            if why:
                found.append((f"/{name}", why))
        return None if len(found) < MAX_REPORTED else True

    f.id.links.visit(visit, info=True)
    return found


def _dataset_outside(f: h5py.Group, raw: bytes) -> str:
    try:
        if h5py.h5o.get_info(f.id, raw).type != h5py.h5o.TYPE_DATASET:
            return ""
        plist = h5py.h5d.open(f.id, raw).get_create_plist()
    except (KeyError, OSError, ValueError):
        return ""
    count = plist.get_external_count()
    if count:
        files = ", ".join(plist.get_external(i)[0].decode("utf-8", "replace")
                          for i in range(min(count, 3)))
        return f"dataset stored in other files ({files})"
    if plist.get_layout() == h5py.h5d.VIRTUAL:
        return "virtual dataset mapped from other files"
    return ""


def check_file(f: h5py.Group, path: str | None = None) -> None:
    """Refuse a file with parts that read other files (one line naming the first)."""
    found = outside_parts(f)
    if found:
        where, what = found[0]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise FormatError(f"HDF5 {where}: {what}{more}; kinspect never reads outside "
                          "the model file", path)


def dataset(f: h5py.File, name: str, whole: bool = False) -> h5py.Dataset:
    """The dataset at NAME, reached link by link without following external links, and refused
    when its bytes live in other files. `whole`: it is about to be read entirely, so its declared
    size must be within bounds.MAX_TENSOR_BYTES."""
    parts = [p for p in name.split("/") if p]
    for i in range(1, len(parts) + 1):
        link = f.get("/".join(parts[:i]), getlink=True)
        if isinstance(link, h5py.ExternalLink):
            raise FormatError(f"HDF5 /{'/'.join(parts[:i])} is an external link to "
                              f"{link.filename}; kinspect never reads outside the model file")
    obj = f[name]
    if not isinstance(obj, h5py.Dataset):
        raise FormatError(f"HDF5 {name} is not a dataset")
    why = _dataset_outside(f, name.encode("utf-8"))
    if why:
        raise FormatError(f"HDF5 {name}: {why}; kinspect never reads outside the model file")
    if whole:
        bounds.check_tensor(obj.shape, obj.dtype.itemsize, f"HDF5 {name}")
    return obj
