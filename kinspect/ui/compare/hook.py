"""File > Compare with…: the current document (or a chosen file) against another file."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFileDialog

from .view import CompareView

FILTER = ("Model files (*.h5 *.hdf5 *.keras *.json *.yaml *.yml *.pb *.pbtxt *.meta *.index "
          "*.tflite *.onnx);;All files (*)")


def compare_with(window: Any) -> CompareView | None:
    """Ask for B (and for A when no document is open), then open a Compare tab."""
    view = window.current_view()
    path_a = view.document.path if view is not None else _ask(window, "Compare: file A")
    if not path_a:
        return None
    path_b = _ask(window, f"Compare {path_a} with…")
    if not path_b:
        return None
    return open_compare(window, path_a, path_b)


def open_compare(window: Any, path_a: str, path_b: str) -> CompareView:
    page = CompareView(path_a, path_b)
    index = window.tabs.addTab(page, page.title())
    window.tabs.setTabToolTip(index, f"{path_a}\n{path_b}")
    window.tabs.setCurrentIndex(index)
    page.chosen.connect(lambda a, b: _select(window, page, a, b))
    page.run()
    return page


def _select(window: Any, page: CompareView, name_a: str, name_b: str) -> None:
    """The chosen row in A's and B's document tabs, when they are open."""
    from .link import select_in_documents

    for path, name in ((page.path_a, name_a), (page.path_b, name_b)):
        if name:
            select_in_documents(window, path, name)


def _ask(window: Any, title: str) -> str:
    path, _ = QFileDialog.getOpenFileName(window, title, "", FILTER)
    return path
