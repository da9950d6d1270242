"""Drive the real app through its front door, as a user does: the `kinspect` console entry point
started with FILE (single instance and all, no --screenshot) in a real X server, then real key
and mouse events (QTest on the live window) through every page, menu, dialog and shortcut.

Run as a script by tests/frontdoor/test_frontdoor.py, with DISPLAY set to an Xvfb:
    python driver.py FILE [SECOND_FILE]
Prints `STEP name` before each step, `OK name` or `FAIL name: why` after it, and `ALIVE n` at
the end; a crash kills the process before that (exit 139 for a segfault). Exit 0 only when
every step passed and the window quit through Ctrl+Q.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

FILE = ""
SECOND = ""
WAIT_S = float(os.environ.get("FRONTDOOR_WAIT", "90"))
GRAPH_WAIT_S = float(os.environ.get("FRONTDOOR_GRAPH_WAIT", "90"))

from PySide6.QtCore import QPoint, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QMenu, QWidget  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository
from tests.frontdoor.live import wait  # noqa: E402

app: QApplication = None  # type: ignore[assignment]  # made in run()
failures: list[str] = []
passed: list[str] = []
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def say(text: str) -> None:
    print(text, flush=True)



def pause(seconds: float) -> None:
    wait(lambda: False, seconds)


def window():
    from kinspect.ui.main_window import MainWindow

    return next((w for w in app.topLevelWidgets() if isinstance(w, MainWindow)
                 and w.isVisible()), None)


def view():
    win = window()
    return win.current_view() if win is not None else None


def key(k: Qt.Key, mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A key press where the keyboard focus is (the active popup or modal dialog first)."""
    target = (QApplication.activePopupWidget() or QApplication.activeModalWidget()
              or QApplication.focusWidget() or window())
    QTest.keyClick(target, k, mods)
    app.processEvents()


def click(widget: QWidget, pos: QPoint | None = None) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     pos if pos is not None else widget.rect().center())
    app.processEvents()


def check(ok: object, why: str) -> None:
    if not ok:
        raise AssertionError(why)


def alive() -> None:
    win = window()
    check(win is not None and win.isVisible(), "the main window is gone")


def step(name: str, action: Callable[[], None]) -> None:
    say(f"STEP {name}")
    try:
        action()
        alive()
    except Exception as exc:  # noqa: BLE001 - reported, and the walk goes on
        failures.append(name)
        say(f"FAIL {name}: {type(exc).__name__}: {exc}")
        traceback.print_exc()
        close_popups()
        return
    passed.append(name)
    say(f"OK {name}")


def close_popups() -> None:
    for _ in range(4):
        popup = QApplication.activePopupWidget() or QApplication.activeModalWidget()
        if popup is None:
            return
        QTest.keyClick(popup, Qt.Key.Key_Escape)
        app.processEvents()


def activate() -> None:
    """Back to the window as a user comes back to it (Netron's web view may hold the X input
    focus; without a window manager nothing gives it back): a click in the tree."""
    win, v = window(), view()
    if QApplication.activeWindow() is not win:
        win.raise_()
        win.activateWindow()
        wait(lambda: QApplication.activeWindow() is win, 5)
    if v is not None and v.tree.isVisible():
        rect = v.tree.visualRect(v.tree.currentIndex())
        click(v.tree.viewport(), rect.center() if rect.isValid() else None)
    check(QApplication.activeWindow() is win,
          f"the window is not active (active: {QApplication.activeWindow()})")


# -- the steps -------------------------------------------------------------------------------
def opened() -> None:
    v = wait(view, WAIT_S)
    check(v is not None, f"no document view within {WAIT_S:.0f} s")
    win = window()
    win.activateWindow()
    wait(lambda: QApplication.activeWindow() is win, 5)
    check(v.tree.isVisible(), "the tree is not shown")
    check(v.tree.model().rowCount() > 0, "the tree is empty")


def tree_has_focus() -> None:
    v = view()
    check(wait(lambda: v.tree.hasFocus(), 5), "the keyboard focus is not in the tree")
    before = v.tree.currentIndex()
    key(Qt.Key.Key_Down)
    check(v.tree.currentIndex() != before, "Down did not move the tree's selection")
    key(Qt.Key.Key_Right)
    key(Qt.Key.Key_Down)


def page_steps() -> list[tuple[str, Callable[[], None]]]:
    v = view()
    out = []
    for i in range(v.pages.count()):
        title = v.pages.tabText(i)
        out.append((f"page {title}", lambda i=i, title=title: show_page(i, title)))
    out.append(("page Tree again", lambda: show_page(0, v.pages.tabText(0))))
    return out


def show_page(i: int, title: str) -> None:
    v = view()
    bar = v.pages.tabBar()
    click(bar, bar.tabRect(i).center())  # a click on the page's tab
    check(v.pages.currentIndex() == i, f"clicking the tab did not show {title}")
    page = v.pages.widget(i)  # the page itself, also when it sits beside the tree
    check(page.isVisible(), f"{title} is not visible")
    if title.startswith("Graph"):
        graph_shown(page)
    else:
        pause(1.0)
    if title.startswith("Tree") or title.startswith("Graph"):
        check(v.tree.isVisible() and v.details.isVisible(),
              f"the tree and its details are not visible on {title}")
    shots = os.environ.get("FRONTDOOR_SHOTS")
    if shots:  # pictures of what the walk saw, for a person to look at
        name = "".join(c if c.isalnum() else "_" for c in f"{os.path.basename(FILE)}-{title}")
        window().grab().save(os.path.join(shots, name + ".png"))


def graph_shown(page: QWidget) -> None:
    from kinspect.ui.netron.view import NetronView

    graph = page if isinstance(page, NetronView) else page.findChild(NetronView)
    check(graph is not None, "no Netron view on the Graph page")
    if graph.reason or graph.webengine_error:
        check(graph.message.isVisible(), "the Graph page shows neither a graph nor a message")
        return
    drawn = wait(lambda: graph.is_drawn, GRAPH_WAIT_S)
    check(drawn, f"Netron did not draw within {GRAPH_WAIT_S:.0f} s")
    check(graph.web is not None and graph.web.isVisible(), "the web view is not visible")
    pause(1.5)  # QtWebEngine's widgets settle (where the old event filter crashed)
    v = view()
    before = graph.current_model
    key(Qt.Key.Key_Down) if v.tree.hasFocus() else v.tree.setFocus()
    pause(0.5)
    check(graph.web.isVisible(), f"the graph went away after a selection ({before})")


def find_keys() -> None:
    v = view()
    v.show_page("Tree")
    v.tree.setFocus()
    activate()
    key(Qt.Key.Key_F, CTRL)
    bar = v.search_bar
    check(bar.isVisible() and bar.edit.hasFocus(), "Ctrl+F did not open the find bar")
    node = v.current_node()
    text = (os.path.basename(node.name.rstrip("/")) if node is not None else "")[:3] or "a"
    QTest.keyClicks(bar.edit, text)
    key(Qt.Key.Key_Return)
    wait(lambda: bar.count_label.text(), 3)
    check(bar.count_label.text(), f"the find bar shows no count after Enter ({text!r}, "
          f"field {bar.edit.text()!r})")
    first = v.current_node()
    key(Qt.Key.Key_Escape)
    check(not bar.isVisible(), "Esc did not close the find bar")
    v.tree.setFocus()
    key(Qt.Key.Key_F3)  # with the bar closed
    check(not bar.isVisible(), "F3 reopened the bar although there is a query")
    if len(bar.matches) > 1:
        check(v.current_node() is not first, "F3 with the bar closed did not move on")
    key(Qt.Key.Key_F3, SHIFT)


def menus() -> None:
    win = window()
    bar = win.menuBar()
    for action in bar.actions():
        if not action.menu() or not action.isVisible():
            continue
        click(bar, bar.actionGeometry(action).center())
        menu = wait(lambda: isinstance(QApplication.activePopupWidget(), QMenu)
                    and QApplication.activePopupWidget(), 3)
        check(menu, f"clicking {action.text()} opened no menu")
        check(menu.actions(), f"{action.text()} is empty")
        key(Qt.Key.Key_Escape)
        wait(lambda: QApplication.activePopupWidget() is None, 3)


def modal_by_shortcut(k: Qt.Key, mods: Qt.KeyboardModifier, what: str) -> None:
    """A shortcut that opens a modal dialog (its own event loop); Esc closes it."""
    seen: list[str] = []
    activate()

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(100, look)
            return
        seen.append(dialog.windowTitle() or type(dialog).__name__)
        QTest.keyClick(dialog, Qt.Key.Key_Escape)

    QTimer.singleShot(300, look)
    key(k, mods)
    wait(lambda: seen and QApplication.activeModalWidget() is None, 15)
    check(seen, f"{what}: no dialog appeared")
    check(QApplication.activeModalWidget() is None, f"{what}: Esc did not close the dialog")


def save_as() -> None:
    win = window()
    activate()
    key(Qt.Key.Key_S, CTRL | SHIFT)
    dialog = wait(lambda: getattr(win, "save_as_dialog", None), 10)
    check(isinstance(dialog, QDialog) and dialog.isVisible(), "Ctrl+Shift+S showed no dialog")
    check(dialog.target_box.count() > 0, "Save As offers no target")
    verify = dialog.widgets.get("verify")
    check(verify is None or verify.isChecked(), "Verify is not ticked by default")
    for i in range(dialog.target_box.count()):  # every target's options build
        dialog.target_box.setCurrentIndex(i)
        app.processEvents()
        check(dialog.destination.text(), f"no destination for {dialog.target_box.itemText(i)}")
    dialog.activateWindow()
    wait(lambda: QApplication.activeWindow() is dialog, 3)
    key(Qt.Key.Key_Escape)  # where the focus is, as a keyboard does
    check(wait(lambda: not getattr(win, "save_as_dialog", None)
               or not win.save_as_dialog.isVisible(), 5),
          f"Esc did not close Save As (focus {QApplication.focusWidget()}, popup "
          f"{QApplication.activePopupWidget()}, modal {QApplication.activeModalWidget()})")


def outputs_to_graph() -> None:
    v = view()
    page = v.page("Outputs")
    if page is None:
        say("  (no Outputs page for this document)")
        return
    v.show_page("Outputs")
    wait(lambda: page.suggested.rowCount() > 0, 20)
    if page.suggested.rowCount() and not page.rows():
        page.pick_suggestion(0)
    if not page.graph_button.isEnabled():
        say("  (Show in Graph is disabled here)")
        return
    click(page.graph_button)  # issue 15 defect 1: this used to kill the app
    check(v.pages.tabText(v.pages.currentIndex()).startswith("Graph"),
          "Show in Graph did not show the Graph page")
    pause(3)


def second_instance() -> None:
    """A second `kinspect FILE2`, as a file manager starts it, opens a tab here."""
    win = window()
    count = win.tabs.count()
    proc = subprocess.Popen([sys.executable, "-m", "kinspect", SECOND],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = wait(lambda: proc.poll() is not None, 60)
    check(done and proc.returncode == 0, f"the second kinspect did not hand over: "
          f"{proc.returncode} {proc.stderr.read() if done else ''}")
    check(wait(lambda: win.tabs.count() == count + 1 and view() is not None
               and view().document.path == SECOND, WAIT_S), "the second file did not open")
    titles = [win.tabs.tabText(i) for i in range(win.tabs.count())]
    check(len(set(titles)) == len(titles), f"tabs cannot be told apart: {titles}")


def switch_tabs() -> None:
    win = window()
    if win.tabs.count() < 2:
        say("  (one document: nothing to switch)")
        return
    start = win.tabs.currentIndex()
    activate()
    key(Qt.Key.Key_Tab, CTRL)
    check(win.tabs.currentIndex() != start, "Ctrl+Tab did not switch documents")
    key(Qt.Key.Key_PageUp, CTRL)
    check(win.tabs.currentIndex() == start, "Ctrl+PgUp did not switch back")
    key(Qt.Key.Key_PageDown, CTRL)
    key(Qt.Key.Key_W, CTRL)  # close it
    check(win.tabs.count() == 1, "Ctrl+W did not close the document")


def main_steps() -> None:
    step("document opened", opened)
    if failures:
        finish()
        return
    step("focus in the tree", tree_has_focus)
    for name, action in page_steps():
        step(name, action)
    step("find keys", find_keys)
    step("menus", menus)
    step("open dialog (Ctrl+O)", lambda: modal_by_shortcut(Qt.Key.Key_O, CTRL, "Ctrl+O"))
    step("open folder dialog (Ctrl+Shift+O)",
         lambda: modal_by_shortcut(Qt.Key.Key_O, CTRL | SHIFT, "Ctrl+Shift+O"))
    step("save as dialog (Ctrl+Shift+S)", save_as)
    step("outputs: show in graph", outputs_to_graph)
    if SECOND:
        step("second kinspect FILE", second_instance)
        step("switch documents", switch_tabs)
    finish()


def finish() -> None:
    say(f"ALIVE {len(passed)} passed, {len(failures)} failed")
    if failures:
        say("FAILED " + "; ".join(failures))
    win = window()
    if win is not None:
        win.activateWindow()
        wait(lambda: QApplication.activeWindow() is win, 3)
        QTest.keyClick(win, Qt.Key.Key_Q, CTRL)  # Quit, as a user leaves
    QTimer.singleShot(10_000, lambda: app.exit(4))  # Ctrl+Q did not quit


def run() -> int:
    """The `kinspect` console script itself, as installed, with FILE."""
    from importlib.metadata import entry_points

    from kinspect.ui.app import make_app

    global app, FILE, SECOND
    FILE = os.path.abspath(sys.argv[1])
    SECOND = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else ""
    app = make_app()
    QTimer.singleShot(0, main_steps)
    (entry,) = [e for e in entry_points(group="console_scripts") if e.name == "kinspect"]
    sys.argv = ["kinspect", FILE]
    code = entry.load()()
    return 3 if failures and code == 0 else code


if __name__ == "__main__":  # a spawned worker process (convert's confinement) imports this
    sys.exit(run())
