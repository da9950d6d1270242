"""Closing a tab frees its document: no worker task, dialog or page keeps it alive."""

from __future__ import annotations

import gc
import weakref

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication

from ..conftest import SAMPLE, corpus_path


def _settle(qtbot) -> None:
    """Run deferred deletes and collect, as the GUI-thread gc timer would."""
    for _ in range(3):
        qtbot.wait(50)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QApplication.processEvents()
        gc.collect()


def open_and_scan(qtbot, window, path) -> weakref.ref:
    """Open PATH (without a signal blocker, which would keep the view in its args), wait for
    the Safety scan, and return a weak reference to the Document."""
    window.open_path(str(path))
    qtbot.waitUntil(lambda: window.current_view() is not None, timeout=30_000)
    qtbot.waitUntil(lambda: window.current_view().page("Safety").done, timeout=30_000)
    return weakref.ref(window.current_view().document)


def close_current(qtbot, window) -> None:
    window.close_tab(window.tabs.currentIndex())
    _settle(qtbot)


def test_closed_tab_frees_its_document(qtbot, window):
    ref = open_and_scan(qtbot, window, SAMPLE)
    close_current(qtbot, window)
    assert ref() is None


def test_closed_graph_tab_frees_its_document(qtbot, window):
    ref = open_and_scan(qtbot, window, corpus_path("regression-pb"))
    qtbot.wait(300)  # the Graph page's prepare task reports
    close_current(qtbot, window)
    assert ref() is None


def test_closed_save_as_dialog_frees_the_document(qtbot, window):
    ref = open_and_scan(qtbot, window, SAMPLE)
    window.save_as()
    dialog = window.save_as_dialog
    assert dialog.isVisible()
    dialog.reject()  # Esc / Cancel with nothing running
    del dialog
    assert window.save_as_dialog is None
    close_current(qtbot, window)
    assert ref() is None
