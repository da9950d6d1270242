"""File > Save As: the export dialog for the current document, its picks from the Outputs
page, and the result dialog when it is done."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..document_view import DocumentView


def open_save_as(window: Any, view: DocumentView, target: str | None = None) -> Any:
    """Show the Save As dialog (non-modal, on the window as `save_as_dialog` while it is open
    so tests can fill it); the result dialog follows on success (`window.save_as_result`).
    Both are deleted when closed: each holds a document or report the window must not keep."""
    from PySide6.QtCore import Qt

    from .dialog import SaveAsDialog
    from .result import ResultDialog

    picks = list(getattr(getattr(view, "picks", None), "names", []))
    dialog = SaveAsDialog(view.document, picks, target or ("tf-graphdef" if picks else None),
                          window, known_report=view.scan_report)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def done(report: Any) -> None:
        result = ResultDialog(report, window.open_path if hasattr(window, "open_path")
                              else None, window)
        result.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.save_as_result = result
        result.show()
        if hasattr(window, "statusBar"):
            window.statusBar().showMessage(f"Saved {report.dst}")

    def closed(_code: int) -> None:
        # The wrapper of the deleted dialog would keep its Document alive through this attribute.
        if getattr(window, "save_as_dialog", None) is dialog:
            window.save_as_dialog = None

    def failed(message: str) -> None:
        if not dialog.isVisible():  # closed while converting: the dialog cannot say it
            window.show_error(message)

    dialog.converted.connect(done)
    dialog.failed.connect(failed)
    dialog.finished.connect(closed)
    window.save_as_dialog = dialog
    dialog.show()
    return dialog
