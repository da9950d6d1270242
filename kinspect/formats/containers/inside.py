"""Files a model reads must stay inside its own folder.

A SavedModel or checkpoint is a folder of parts; a part that is a symlink to another place
(`variables.data-00000-of-00001 -> ~/.ssh/id_rsa`) would make `info` and the tensor view show,
and exports copy, a file the model does not own. Readers check each part before opening it;
the scan reports such links as findings (`links_leaving`).
"""

from __future__ import annotations

import os

from ...errors import FormatError

MAX_WALK = 10_000  # entries looked at when listing a folder's links (a model has a few dozen)


def is_inside(path: str, root: str) -> bool:
    """True when PATH, with every symlink resolved, lies in ROOT (also resolved)."""
    base = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def check_inside(path: str, root: str) -> None:
    """Refuse a part of the model that resolves outside its folder (one line naming both)."""
    if not is_inside(path, root):
        raise FormatError(f"{os.path.basename(path)} links to {os.path.realpath(path)}, outside "
                          "the model's folder; kinspect never reads outside the model", path)


def links_leaving(root: str) -> list[tuple[str, str]]:
    """(relative path, target) of every symlink under ROOT that resolves outside it."""
    found: list[tuple[str, str]] = []
    seen = 0
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            seen += 1
            full = os.path.join(folder, name)
            if os.path.islink(full) and not is_inside(full, root):
                found.append((os.path.relpath(full, root), os.path.realpath(full)))
        if seen > MAX_WALK:
            break
    return found
