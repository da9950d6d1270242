"""Drive File > Compare with… in a real X server with real mouse and key events, as a user:
click the File menu and its "Compare with…" entry, type A's and B's paths into Qt's file
dialogs, wait for the comparison, click the layer table's rows and the trees, then Ctrl+Q.

Run by tests/compare/test_compare_frontdoor.py with DISPLAY set to an Xvfb:
    python compare_driver.py A B SCREENSHOT.png
Prints `OK step` / `FAIL step: why`; exit 0 only when every step passed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QWidget

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository
from kinspect.ui.app import make_app
from kinspect.ui.main_window import MainWindow
from tests.frontdoor.live import wait  # noqa: E402

A, B, SHOT = sys.argv[1:4] if len(sys.argv) > 3 else ("", "", "")
app: QApplication  # made in main(): a confined child re-imports this file as __mp_main__
win: MainWindow
failed: list[str] = []



def click(widget: QWidget, pos: QPoint) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    app.processEvents()


def step(name: str, action: Callable[[], None]) -> None:
    print(f"STEP {name}", flush=True)
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - reported; the walk goes on
        failed.append(name)
        print(f"FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
        return
    print(f"OK {name}", flush=True)


def check(ok: object, why: str) -> None:
    if not ok:
        raise AssertionError(why)


state: dict[str, object] = {}


def answer_file_dialogs(paths: list[str]) -> QTimer:
    """Type each of PATHS into the next file dialog and press Enter. getOpenFileName runs its
    own event loop (the menu click does not return while the dialog is open), so a timer
    types, from inside that loop."""
    todo = list(paths)

    def poll() -> None:
        dialog = next((w for w in app.topLevelWidgets()
                       if isinstance(w, QFileDialog) and w.isVisible()), None)
        if dialog is None or not todo or id(dialog) in done:
            return
        # Qt's own dialog: its file name box (the input focus may be elsewhere without a
        # window manager)
        edit = dialog.findChild(QLineEdit, "fileNameEdit") or QApplication.focusWidget()
        if edit is None:
            return
        done.add(id(dialog))
        QTest.keyClicks(edit, todo.pop(0))
        QTest.keyClick(edit, Qt.Key.Key_Return)

    done: set[int] = set()
    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(200)
    state["answered"] = todo
    return timer


def open_compare() -> None:
    timer = answer_file_dialogs([A, B])  # no document open: A first, then B
    bar = win.menuBar()
    file_action = bar.actions()[0]
    click(bar, bar.actionGeometry(file_action).center())
    menu = wait(QApplication.activePopupWidget, 5)
    check(menu is not None, "the File menu did not open")
    click(menu, menu.actionGeometry(win.compare_action).center())
    timer.stop()
    check(not state["answered"], "the file dialogs did not take both paths")
    from kinspect.ui.compare.view import CompareView

    view = wait(lambda: isinstance(win.tabs.currentWidget(), CompareView)
                and win.tabs.currentWidget(), 10)
    check(view is not None, "no Compare tab")
    state["view"] = view
    check(wait(lambda: view.comparison is not None, 180), "the comparison did not finish")


def first_divergence_row() -> None:
    view = state["view"]
    table = view.layers.table
    check(view.layers.first_row is not None, "no first divergence")
    check(table.currentRow() == view.layers.first_row, "the first divergence is not selected")
    check(table.item(view.layers.first_row, 1).text() == view.comparison.divergence.a,
          "the highlighted row is not the first divergence")


def click_rows() -> None:
    view = state["view"]
    table = view.layers.table
    click(table.viewport(), table.visualItemRect(table.item(0, 0)).center())
    check(table.currentRow() == 0, "clicking row 0 did not select it")
    name = table.item(0, 1).text()
    check(view.trees.tree_a.currentItem().text(0) == name, "tree A did not follow the table")
    check(view.trees.tree_b.currentItem().text(0) == table.item(0, 2).text(),
          "tree B did not follow the table")
    check(view.diff.title.text().startswith(name), "the difference panel did not follow")
    tree = view.trees.tree_b
    item = tree.topLevelItem(view.layers.first_row + 1)
    click(tree.viewport(), tree.visualItemRect(item).center())
    check(view.trees.tree_a.currentItem().text(0) == item.text(0),
          "selecting in tree B did not select the row in tree A")
    click(table.viewport(), table.visualItemRect(
        table.item(view.layers.first_row, 0)).center())


def screenshot() -> None:
    wait(lambda: False, 0.5)
    check(win.grab().save(SHOT), "screenshot not written")


def quit_app() -> None:
    view = state["view"]
    table = view.layers.table
    click(table.viewport(), table.visualItemRect(table.item(0, 0)).center())  # focus back
    win.activateWindow()
    wait(lambda: QApplication.activeWindow() is win, 5)
    QTest.keyClick(QApplication.focusWidget() or win, Qt.Key.Key_Q,
                   Qt.KeyboardModifier.ControlModifier)
    check(wait(lambda: not win.isVisible(), 10), "Ctrl+Q did not close the window")


def main() -> int:
    global app, win
    app = make_app()
    win = MainWindow()
    win.resize(1400, 900)
    win.show()
    wait(lambda: win.isVisible() and win.windowHandle() is not None
         and win.windowHandle().isExposed())
    for name, action in (("compare with (menu, file dialogs)", open_compare),
                         ("first divergence highlighted", first_divergence_row),
                         ("click rows (table, trees)", click_rows),
                         ("screenshot", screenshot), ("quit", quit_app)):
        step(name, action)
        if failed and name == "compare with (menu, file dialogs)":
            break
    print(f"DONE failed={len(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
