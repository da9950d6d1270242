"""Application entry: QApplication, the main window, and `--screenshot` for tests and docs."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from .main_window import MainWindow


def make_app() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("kinspect")
    app.setOrganizationName("kinspect")
    app.setDesktopFileName("kinspect")
    return app  # type: ignore[return-value]


def run_app(path: str | None, screenshot: str | None = None, view: str = "tree") -> int:
    app = make_app()
    window = MainWindow()
    window.show()
    if screenshot:
        return _screenshot(app, window, path or "", screenshot, view)
    if path:
        window.open_path(os.path.abspath(path))
    return app.exec()


def _screenshot(app: QApplication, window: MainWindow, path: str, out: str, view: str) -> int:
    """Open `path`, wait until the document is shown, grab the window into `out`."""
    result = {"code": 2}

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
        if view == "netron" and hasattr(window, "show_netron"):
            window.show_netron(grab)  # issue 8: calls grab once the graph is drawn
        else:
            QTimer.singleShot(200, grab)

    window.document_opened.connect(shown)
    window.open_failed.connect(failed)
    window.open_path(os.path.abspath(path))
    app.exec()
    return result["code"]
