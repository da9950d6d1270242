"""Persistent window state (recent files, geometry) in QSettings.

Always the INI format. `KINSPECT_CONFIG_DIR`, when set, puts the file there instead of the
user's config folder: the test suite sets it so no test ever touches the user's settings.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

RECENT_KEY = "recent_files"
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
MAX_RECENT = 10


def settings() -> QSettings:
    folder = os.environ.get("KINSPECT_CONFIG_DIR")
    if folder:
        return QSettings(os.path.join(folder, "kinspect.ini"), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "kinspect", "kinspect")


def recent_files() -> list[str]:
    value = settings().value(RECENT_KEY, [])
    if isinstance(value, str):  # QSettings gives a bare string for a one-item list
        value = [value]
    return [str(v) for v in (value or [])]


def add_recent(path: str) -> list[str]:
    """Put `path` first (absolute, without a trailing slash), dropping older duplicates."""
    path = os.path.abspath(path).rstrip(os.sep) or os.sep
    items = [path] + [p for p in recent_files() if p != path]
    items = items[:MAX_RECENT]
    store = settings()
    store.setValue(RECENT_KEY, items)
    store.sync()
    return items


def clear_recent() -> None:
    store = settings()
    store.setValue(RECENT_KEY, [])
    store.sync()
