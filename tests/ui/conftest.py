"""Every window test gets its own settings folder (recent files, geometry)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    folder = tmp_path / "config"
    folder.mkdir()
    monkeypatch.setenv("KINSPECT_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def window(qtbot):
    """A shown main window, closed with the test."""
    from kinspect.ui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    return win


def open_view(qtbot, window, path, timeout: int = 30_000):
    """Open PATH in WINDOW through the real worker and return its DocumentView."""
    with qtbot.waitSignal(window.document_opened, timeout=timeout) as blocker:
        window.open_path(str(path))
    return blocker.args[0]
