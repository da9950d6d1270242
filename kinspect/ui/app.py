"""Application entry: QApplication, the main window, and `--screenshot` for tests and docs."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from . import single_instance
from .document_view import PAGE_ERROR
from .main_window import MainWindow


def make_app() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("kinspect")
    app.setOrganizationName("kinspect")
    app.setDesktopFileName("kinspect")
    _set_icon(app)
    from .theme import follow_system

    follow_system(app)  # the system's light or dark palette
    return app  # type: ignore[return-value]


def _set_icon(app: QApplication) -> None:
    """The window icon from resources/icons (all sizes), when the resources are there."""
    from ..desktop import ICON_SIZES, icon_path

    icon = QIcon()
    for size in ICON_SIZES:
        found = icon_path(size)
        if found is not None:
            icon.addFile(str(found))
    if not icon.isNull():
        app.setWindowIcon(icon)


def run_app(path: str | None, screenshot: str | None = None, view: str = "tree") -> int:
    # A window is already running (double-click while open): hand it the file and leave.
    # --screenshot always opens its own window.
    if not screenshot and single_instance.send_to_running(path):
        return 0
    app = make_app()
    instance = None if screenshot else single_instance.claim(path)
    if instance is None and not screenshot:
        return 0  # another kinspect started meanwhile and took the file
    window = MainWindow()
    window.show()
    if screenshot:
        return _screenshot(app, window, path or "", screenshot, view)
    single_instance.attach(instance, window)  # type: ignore[arg-type]
    if path:
        window.open_path(os.path.abspath(path))
    return app.exec()


def _screenshot(app: QApplication, window: MainWindow, path: str, out: str, view: str) -> int:
    """Open `path`, wait until the document is shown, grab the window into `out`."""
    result = {"code": 2}
    window.resize(1280, 800)  # the same size every time, whatever geometry was remembered

    def grab(_view: object = None) -> None:
        app.processEvents()
        if not window.grab().save(out):
            print(f"kinspect: {out}: cannot write the screenshot", file=sys.stderr)
            result["code"] = 2
        else:
            result["code"] = 0
        app.quit()

    def failed(message: str) -> None:
        print(f"kinspect: {message}", file=sys.stderr)
        result["code"] = 2
        app.quit()

    def shown(doc_view: object) -> None:
        if view == "netron":
            window.show_netron(grab)  # issue 8: calls grab once the graph is drawn
            return
        if view != "tree":  # a page by its title: summary, safety, outputs...
            page = doc_view.show_page(view.capitalize())  # type: ignore[attr-defined]
            if page is None or page.objectName() == PAGE_ERROR:
                why = page.text() if page is not None else "the document has no such page"
                print(f"kinspect: {path}: {view} page: {why}", file=sys.stderr)
                app.quit()
                return
        QTimer.singleShot(200, grab)

    window.document_opened.connect(shown)
    window.open_failed.connect(failed)
    window.open_path(os.path.abspath(path))
    app.exec()
    return result["code"]
