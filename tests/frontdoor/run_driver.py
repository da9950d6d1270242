"""Drive the Run page through the front door: `kinspect MODEL` in a real X server, then a
click on the Run tab, the image path typed into the source with key events, Ctrl+R, and the
shown top-1 printed; a screenshot of the window; Ctrl+Q.

Run by tests/frontdoor/test_run_frontdoor.py with DISPLAY set to an Xvfb:
    python run_driver.py MODEL IMAGE PREPROCESS OUT.png
Prints `OK name` / `FAIL name: why` per step and `TOP1 <summary>`; exit 0 when all passed.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository
from kinspect.ui.app import make_app  # noqa: E402
from tests.frontdoor.live import wait  # noqa: E402

app = None  # made by main(): a confined child re-imports this module (as __mp_main__)
MODEL = IMAGE = MODE = SHOT = ""
failures: list[str] = []
CTRL = Qt.KeyboardModifier.ControlModifier



def window():
    from kinspect.ui.main_window import MainWindow

    return next((w for w in app.topLevelWidgets() if isinstance(w, MainWindow)
                 and w.isVisible()), None)


def page():
    win = window()
    view = win.current_view() if win is not None else None
    return view.page("Run") if view is not None else None


def step(name: str, action: Callable[[], None]) -> None:
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - reported, the walk goes on
        failures.append(name)
        print(f"FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
        traceback.print_exc()
        return
    print(f"OK {name}", flush=True)


def check(ok: object, why: str) -> None:
    if not ok:
        raise AssertionError(why)


def open_run_tab() -> None:
    check(wait(page, 90), "no document with a Run page")
    win = window()
    win.activateWindow()
    wait(lambda: QApplication.activeWindow() is win, 5)
    view = win.current_view()
    bar = view.pages.tabBar()
    index = next(i for i in range(view.pages.count()) if view.pages.tabText(i) == "Run")
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     bar.tabRect(index).center())
    check(wait(lambda: page().isVisible(), 5), "the Run page is not shown")


def load_with_ctrl_r() -> None:
    p = page()
    QTest.keyClick(QApplication.focusWidget() or window(), Qt.Key.Key_R, CTRL)
    check(wait(lambda: p.runner is not None and p.task is None, 300), "the model did not load")
    check(p.rows, "no input rows after loading")


def model_is_confined() -> None:
    """The loaded model lives in another process, cut off from the network (its own network
    namespace): what the window runs is behind the same wall as `kinspect run`."""
    runner = page().runner
    pid = runner._child._proc.pid  # noqa: SLF001 - the test looks at the real process
    check(pid != os.getpid(), "the model runs in the window's process")
    theirs, ours = os.readlink(f"/proc/{pid}/ns/net"), os.readlink("/proc/self/ns/net")
    check(theirs != ours, f"the model's process shares the window's network ({ours})")
    print(f"CONFINED pid {pid} {theirs}", flush=True)


def type_source() -> None:
    p = page()
    edit = next(iter(p.rows.values())).source
    QTest.mouseClick(edit, Qt.MouseButton.LeftButton)
    QTest.keyClick(edit, Qt.Key.Key_A, CTRL)
    QTest.keyClicks(edit, IMAGE)
    check(edit.text() == IMAGE, f"typed {edit.text()!r}")
    p.preprocess.setFocus()
    p.preprocess.setCurrentText(MODE)


def run_with_ctrl_r() -> None:
    p = page()
    p.last = None
    QTest.keyClick(QApplication.focusWidget() or window(), Qt.Key.Key_R, CTRL)
    check(wait(lambda: p.last is not None and p.task is None, 120), "no result shown")
    check(wait(lambda: p.tensor_view.stats is not None, 30), "no statistics shown")
    print(f"TOP1 {p.summary()}", flush=True)
    print(f"STATUS {p.status.text()}", flush=True)


def screenshot() -> None:
    wait(lambda: False, 0.5)
    check(window().grab().save(SHOT), "cannot write the screenshot")


def main_steps() -> None:
    for name, action in (("run tab", open_run_tab), ("load (Ctrl+R)", load_with_ctrl_r),
                         ("confined", model_is_confined),
                         ("type source", type_source), ("run (Ctrl+R)", run_with_ctrl_r),
                         ("screenshot", screenshot)):
        step(name, action)
    p = page()
    if p is not None:
        wait(lambda: p.warming is None, 120)  # TensorFlow aborts if its thread dies at exit
    win = window()
    print(f"ALIVE {len(failures)} failed", flush=True)
    QTest.keyClick(win, Qt.Key.Key_Q, CTRL)
    QTimer.singleShot(10_000, lambda: app.exit(4))


def main() -> None:
    global app, MODEL, IMAGE, MODE, SHOT
    MODEL, IMAGE, MODE, SHOT = (os.path.abspath(a) if i != 2 else a
                                for i, a in enumerate(sys.argv[1:5]))
    app = make_app()
    QTimer.singleShot(0, main_steps)
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="console_scripts") if e.name == "kinspect"]
    sys.argv = ["kinspect", MODEL]
    code = entry.load()()
    sys.exit(3 if failures and code == 0 else code)


if __name__ == "__main__":  # the model's confined process imports this module too
    main()
