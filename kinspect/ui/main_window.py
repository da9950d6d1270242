"""The main window: documents in tabs, opened on a worker, errors in a dialog."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..formats import open_document
from ..model import Document
from .document_view import DocumentView
from .workers import Task, start

OPEN_FILTER = ("Model files (*.h5 *.hdf5 *.keras *.json *.yaml *.yml *.pb *.pbtxt *.meta "
               "*.index *.tflite *.onnx);;All files (*)")


class LoadingPage(QWidget):
    """Stands in a tab while a document opens: what is happening, progress, Cancel."""

    def __init__(self, path: str, task: Task) -> None:
        super().__init__()
        self.path = path
        self.label = QLabel(f"Loading {os.path.basename(path)}…")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(task.cancel)
        row = QHBoxLayout()
        row.addStretch()
        row.addWidget(self.bar, 3)
        row.addWidget(self.cancel_button)
        row.addStretch()
        layout = QVBoxLayout(self)
        layout.addStretch()
        layout.addWidget(self.label)
        layout.addLayout(row)
        layout.addStretch()
        task.signals.progress.connect(self._progress)

    def _progress(self, fraction: float, message: str) -> None:
        self.bar.setValue(int(fraction * 1000))
        if message:
            self.label.setText(f"Loading {os.path.basename(self.path)}: {message}")


class MainWindow(QMainWindow):
    document_opened = Signal(object)  # DocumentView
    open_failed = Signal(str)  # one-line message

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("kinspect")
        self.resize(1280, 800)
        self.tabs = QTabWidget()
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(lambda _i: self._update_status())
        self.setCentralWidget(self.tabs)
        self.error_dialog: QMessageBox | None = None
        self._build_menus()
        self.statusBar().showMessage("Open a model file: File > Open (Ctrl+O)")

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open…", self, shortcut=QKeySequence.StandardKey.Open,
                                   triggered=self.choose_file)
        self.close_action = QAction("&Close", self, shortcut=QKeySequence.StandardKey.Close,
                                    triggered=lambda: self.close_tab(self.tabs.currentIndex()))
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit,
                                   triggered=self.close)
        for action in (self.open_action, self.close_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

    # -- opening
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", "", OPEN_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> Task:
        """Open on a worker; a Loading tab stands in until the document is ready."""
        task = Task(lambda progress: open_document(path, progress=progress))
        page = LoadingPage(path, task)
        index = self.tabs.addTab(page, os.path.basename(path.rstrip(os.sep)) or path)
        self.tabs.setCurrentIndex(index)
        task.signals.finished.connect(lambda doc: self._opened(page, doc))
        task.signals.failed.connect(lambda msg, details: self._failed(page, msg, details))
        task.signals.cancelled.connect(lambda: self._remove_page(page))
        self.statusBar().showMessage(f"Loading {path}…")
        return start(task)

    def _opened(self, page: LoadingPage, document: Document) -> None:
        index = self.tabs.indexOf(page)
        if index < 0:
            return
        view = DocumentView(document)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, view, os.path.basename(document.path.rstrip(os.sep)))
        self.tabs.setTabToolTip(index, document.path)
        self.tabs.setCurrentIndex(index)
        page.deleteLater()
        self._update_status()
        self.document_opened.emit(view)

    def _failed(self, page: LoadingPage, message: str, details: str) -> None:
        self._remove_page(page)
        self.show_error(message, details)
        self.open_failed.emit(message)

    def _remove_page(self, page: QWidget) -> None:
        index = self.tabs.indexOf(page)
        if index >= 0:
            self.tabs.removeTab(index)
            page.deleteLater()
        self._update_status()

    def show_error(self, message: str, details: str = "") -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, "kinspect", message,
                          QMessageBox.StandardButton.Ok, self)
        if details:
            box.setDetailedText(details)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self.error_dialog = box
        self.statusBar().showMessage(message)

    def close_tab(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if widget is not None:
            self.tabs.removeTab(index)
            widget.deleteLater()
        self._update_status()

    # -- state
    def current_view(self) -> DocumentView | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, DocumentView) else None

    def show_netron(self, callback: object) -> None:
        """Show the current document's Graph tab; `callback()` (no arguments) once Netron has
        drawn it (used by `--screenshot --view netron`)."""
        from .netron_view import show_netron

        show_netron(self, callback)

    def _update_status(self) -> None:
        view = self.current_view()
        if view is None:
            self.setWindowTitle("kinspect")
            return
        doc = view.document
        producer = ", ".join(f"{k} {v}" for k, v in doc.producer.items())
        params = f" · {doc.summary.total:,} parameters" if doc.summary else ""
        self.statusBar().showMessage(f"{doc.format}  ·  {producer}{params}")
        self.setWindowTitle(f"{os.path.basename(doc.path.rstrip(os.sep))} — kinspect")
