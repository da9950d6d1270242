"""Keyboard and tabs as a user meets them (issue 15, defect 9): real key events through Qt's
shortcut machinery on a shown, active window, not calls of the slots."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from kinspect.ui import settings
from kinspect.ui.main_window import unique_titles
from kinspect.ui.save_as import dialog as save_as_dialog
from kinspect.ui.tensor_view import TensorView

from ..conftest import corpus_path
from .conftest import open_view

CARND = "carnd-h5"  # Sequential, 5 Conv2D (PROVENANCE #1)
CRYPTO = "cryptoann-h5"
PB = "regression-pb"  # both corpus files are called model.h5 / frozen.pb in their folders


def _key(window, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """A key press delivered where the keyboard focus is, as a real keyboard does."""
    target = QApplication.focusWidget() or window
    QTest.keyClick(target, key, modifiers)


def _active(qtbot, window) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)


def test_focus_is_in_the_tree_after_opening(qtbot, window):
    view = open_view(qtbot, window, corpus_path(CARND))
    _active(qtbot, window)
    qtbot.waitUntil(lambda: view.tree.hasFocus(), timeout=5000)
    before = view.current_node()
    _key(window, Qt.Key.Key_Down)  # the arrow keys work at once, without a click
    assert view.current_node() is not before


def test_ctrl_tab_and_ctrl_page_keys_switch_documents(qtbot, window):
    open_view(qtbot, window, corpus_path(CARND))
    open_view(qtbot, window, corpus_path(CRYPTO))
    open_view(qtbot, window, corpus_path(PB))
    _active(qtbot, window)
    assert window.tabs.currentIndex() == 2
    _key(window, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0  # wraps around
    _key(window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 1
    _key(window, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0
    _key(window, Qt.Key.Key_Backtab,
         Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.tabs.currentIndex() == 2
    window.current_view().show_page("Safety")  # from another page than the tree, too
    _key(window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0


def test_two_tabs_with_the_same_file_name_can_be_told_apart(qtbot, window):
    carnd, crypto = corpus_path(CARND), corpus_path(CRYPTO)
    assert carnd.name == crypto.name == "model.h5"
    open_view(qtbot, window, carnd)
    assert window.tabs.tabText(0) == "model.h5"  # alone: the bare name
    open_view(qtbot, window, crypto)
    titles = [window.tabs.tabText(i) for i in range(2)]
    assert titles == [f"{carnd.parent.name}/model.h5", f"{crypto.parent.name}/model.h5"]
    window.close_tab(1)
    assert window.tabs.tabText(0) == "model.h5"


def test_unique_titles_go_up_as_far_as_needed():
    assert unique_titles(["/a/x/m.h5", "/b/x/m.h5", "/c/n.h5"]) == ["a/x/m.h5", "b/x/m.h5",
                                                                    "n.h5"]
    assert unique_titles(["/a/m.h5", "/a/m.h5"]) == ["m.h5", "m.h5"]  # the same file twice


def test_f3_finds_next_with_the_bar_closed(qtbot, window):
    view = open_view(qtbot, window, corpus_path(CARND))
    _active(qtbot, window)
    _key(window, Qt.Key.Key_F3)  # no query yet: F3 opens the find bar
    assert view.search_bar.isVisible() and view.search_bar.edit.hasFocus()
    assert view.search_bar.search("Conv2D") == 15  # PROVENANCE: 5 Conv2D, kernel + bias
    assert view.current_node().name == "conv2d_1"
    _key(window, Qt.Key.Key_F3)  # with the bar open
    assert view.current_node().name == "conv2d_1/kernel:0"
    _key(window, Qt.Key.Key_Escape)
    assert not view.search_bar.isVisible()
    view.tree.setFocus()
    _key(window, Qt.Key.Key_F3)  # closed: the last query goes on
    assert view.current_node().name == "conv2d_1/bias:0"
    _key(window, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert view.current_node().name == "conv2d_1/kernel:0"


def test_value_table_shows_whole_numbers(qtbot):
    view = TensorView()
    qtbot.addWidget(view)
    view.show()
    values = np.array([[-0.0025912345, 123456.7], [-1.23456789e-05, 3.0]], dtype=np.float64)
    view.table_model.set_array(values)
    metrics = view.table.fontMetrics()
    for row in range(2):
        for col in range(2):
            index = view.table_model.index(row, col)
            text = view.table_model.data(index)
            assert "…" not in text
            assert metrics.horizontalAdvance(text) + 6 <= view.table.columnWidth(col), text
            tip = view.table_model.data(index, Qt.ItemDataRole.ToolTipRole)
            assert float(tip) == values[row, col]  # every digit in the tooltip


def test_save_as_verifies_by_default_and_remembers(qtbot, window, tmp_path):
    view = open_view(qtbot, window, corpus_path("alphabet-soup-h5"))
    first = save_as_dialog.SaveAsDialog(view.document, parent=window)
    qtbot.addWidget(first)
    assert first.values()["verify"] is True  # ticked the first time
    first.set_option("verify", False)
    first.destination.setText(str(tmp_path / "out" / "m.keras"))
    first._remember(first.destination.text())
    second = save_as_dialog.SaveAsDialog(view.document, parent=window)
    qtbot.addWidget(second)
    assert second.values()["verify"] is False  # as the user left it
    (tmp_path / "out").mkdir()
    assert save_as_dialog.default_folder(view.document.path) == str(tmp_path / "out")


def test_save_as_never_defaults_to_a_read_only_source_folder(qtbot, monkeypatch, tmp_path):
    src_folder = tmp_path / "readonly"
    src_folder.mkdir()
    real_access = save_as_dialog.os.access
    monkeypatch.setattr(save_as_dialog.os, "access", lambda p, mode: False
                        if str(p) == str(src_folder) else real_access(p, mode))
    settings.settings().remove(save_as_dialog.FOLDER_KEY)
    folder = save_as_dialog.default_folder(str(src_folder / "model.h5"))
    assert folder != str(src_folder) and real_access(folder, save_as_dialog.os.W_OK)


def test_find_in_a_savedmodel(qtbot, window):
    """Found by the front-door walk: Find in a SavedModel raised AttributeError (graph rows
    had no `role`). Signatures classify_x_to_y and classify_x2_to_y3 (PROVENANCE #32)."""
    view = open_view(qtbot, window, corpus_path("half-plus-two-tf2"))
    assert view.search_bar.search("classify_x") >= 2
    assert view.current_node() is not None and "classify_x" in view.current_node().name
