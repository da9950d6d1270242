"""The main window: documents in tabs, opened on a worker, errors in a dialog."""

from __future__ import annotations

import os

import shiboken6
from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
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
from . import gc_guard, settings
from .document_view import DocumentView
from .workers import Task, start

ARCH_FILTER = ("Keras architecture (*.json *.yaml *.yml *.keras *.h5 *.hdf5);;All files (*)")
OPEN_FILTER = ("Model files (*.h5 *.hdf5 *.keras *.json *.yaml *.yml *.pb *.pbtxt *.meta "
               "*.index *.tflite *.onnx);;All files (*)")


class LoadingPage(QWidget):
    """Stands in a tab while a document opens: what is happening, progress, Cancel."""

    def __init__(self, path: str, task: Task) -> None:
        super().__init__()
        self.path = path
        self.task = task
        self.label = QLabel(f"Loading {os.path.basename(path)}…")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy until the reader reports a first fraction
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
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

    def cancel(self) -> None:
        """Ask the reader to stop at its next progress step; the tab goes when it has."""
        self.task.cancel()
        self.cancel_button.setEnabled(False)
        self.label.setText(f"Cancelling {os.path.basename(self.path)}…")

    def _progress(self, fraction: float, message: str) -> None:
        if self.task.progress.cancelled:
            return
        if self.bar.maximum() == 0:
            self.bar.setRange(0, 1000)
        self.bar.setValue(int(fraction * 1000))
        if message:
            self.label.setText(f"Loading {os.path.basename(self.path)}: {message}")


class MainWindow(QMainWindow):
    document_opened = Signal(object)  # DocumentView
    open_failed = Signal(str)  # one-line message

    def __init__(self) -> None:
        super().__init__()
        gc_guard.install()
        self.setWindowTitle("kinspect")
        self.resize(1280, 800)
        self.tabs = QTabWidget()
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(lambda _i: self._update_status())
        self.setCentralWidget(self.tabs)
        self.error_dialog: QMessageBox | None = None
        self.setAcceptDrops(True)
        self._build_menus()
        self._restore_geometry()
        self.statusBar().showMessage("Open a model file: File > Open (Ctrl+O), or drop it here")

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open…", self, shortcut=QKeySequence.StandardKey.Open,
                                   triggered=self.choose_file)
        self.close_action = QAction("&Close", self, shortcut=QKeySequence.StandardKey.Close,
                                    triggered=lambda: self.close_tab(self.tabs.currentIndex()))
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit,
                                   triggered=self.close)
        self.save_as_action = QAction("Save &As…", self, shortcut=QKeySequence("Ctrl+Shift+S"),
                                      triggered=self.save_as, enabled=False)
        self.find_action = QAction("&Find…", self, shortcut=QKeySequence.StandardKey.Find,
                                   triggered=self.find, enabled=False)
        self.attach_action = QAction("Attach &architecture…", self,
                                     triggered=self.choose_architecture, enabled=False)
        self.open_folder_action = QAction("Open &Folder…", self,
                                          shortcut=QKeySequence("Ctrl+Shift+O"),
                                          triggered=self.choose_folder)
        file_menu.addAction(self.open_action)
        file_menu.addAction(self.open_folder_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()
        file_menu.addAction(self.attach_action)
        file_menu.addAction(self.save_as_action)
        self.compare_action = QAction("Compare &with…", self, triggered=self.compare_with)
        file_menu.addAction(self.compare_action)
        file_menu.addAction(self.close_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self.find_action)
        # F3 / Shift+F3 belong to the window, not to the find bar: they also work while the bar
        # is closed (issue 15), with the last query, or open the bar when there is none.
        self.find_next_action = QAction("Find &Next", self, shortcut=QKeySequence("F3"),
                                        triggered=lambda: self.find_next(1), enabled=False)
        self.find_previous_action = QAction("Find &Previous", self,
                                            shortcut=QKeySequence("Shift+F3"),
                                            triggered=lambda: self.find_next(-1), enabled=False)
        edit_menu.addAction(self.find_next_action)
        edit_menu.addAction(self.find_previous_action)
        self._build_window_menu()

    def _build_window_menu(self) -> None:
        """Ctrl+Tab / Ctrl+PgDn and Ctrl+Shift+Tab / Ctrl+PgUp switch documents, from any page."""
        menu = self.menuBar().addMenu("&Window")
        self.next_tab_action = QAction("&Next Document", self, triggered=lambda: self.step_tab(1))
        self.next_tab_action.setShortcuts([QKeySequence("Ctrl+Tab"), QKeySequence("Ctrl+PgDown")])
        self.previous_tab_action = QAction("&Previous Document", self,
                                           triggered=lambda: self.step_tab(-1))
        self.previous_tab_action.setShortcuts([QKeySequence("Ctrl+Shift+Tab"),
                                               QKeySequence("Ctrl+PgUp")])
        for action in (self.next_tab_action, self.previous_tab_action):
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            menu.addAction(action)

    def step_tab(self, step: int) -> None:
        count = self.tabs.count()
        if count > 1:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % count)
            view = self.current_view()
            if view is not None and view.pages.currentIndex() == 0:
                view.tree.setFocus()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = settings.recent_files()
        for path in recent:
            self.recent_menu.addAction(path, lambda path=path: self.open_path(path))
        if recent:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear Recent", settings.clear_recent)
        self.recent_menu.setEnabled(bool(recent))

    # -- actions on the current document
    def save_as(self) -> None:
        """Ctrl+Shift+S: the export dialog for the current document."""
        from .save_as.hook import open_save_as

        view = self.current_view()
        if view is not None:
            open_save_as(self, view)

    def compare_with(self) -> None:
        """File > Compare with…: a Compare tab (kinspect/ui/compare), opened on demand."""
        from .compare.hook import compare_with

        compare_with(self)

    def find(self) -> None:
        view = self.current_view()
        if view is not None:
            view.open_search()

    def find_next(self, step: int) -> None:
        """F3 / Shift+F3: the next or previous match of the last query, bar open or not."""
        view = self.current_view()
        if view is None:
            return
        bar = view.search_bar
        if not bar.edit.text().strip():
            view.open_search()
        elif step > 0:
            bar.next()
        else:
            bar.previous()

    # -- opening
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", "", OPEN_FILTER)
        if path:
            self.open_path(path)

    def choose_folder(self) -> None:
        """A SavedModel, an estimator model dir or a checkpoint folder is a folder."""
        path = QFileDialog.getExistingDirectory(self, "Open SavedModel or checkpoint folder")
        if path:
            self.open_path(path)

    def choose_architecture(self) -> None:
        """File > Attach architecture…: pair the current weights-only file with its model."""
        if self.current_view() is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Attach architecture", "", ARCH_FILTER)
        if path:
            self.attach_architecture(path)

    def attach_architecture(self, arch_path: str) -> Task | None:
        """Open weights + architecture on a worker; the combined model opens in a new tab."""
        view = self.current_view()
        if view is None:
            return None
        from ..formats.keras.pairing import open_pair

        weights = view.document.path
        title = f"{os.path.basename(weights)} + {os.path.basename(arch_path)}"
        task = Task(lambda progress: open_pair(weights, arch_path), weights)
        return self._load_in_tab(task, weights, title, f"Attaching {arch_path} to {weights}…")

    def open_path(self, path: str) -> Task:
        """Open on a worker; a Loading tab stands in until the document is ready."""
        task = Task(lambda progress: open_document(path, progress=progress), path)
        title = os.path.basename(path.rstrip(os.sep)) or path
        return self._load_in_tab(task, path, title, f"Loading {path}…")

    def _load_in_tab(self, task: Task, path: str, title: str, status: str) -> Task:
        """A Loading tab stands in for the document until the task yields it or fails."""
        page = LoadingPage(path, task)
        self.tabs.setCurrentIndex(self.tabs.addTab(page, title))
        task.signals.finished.connect(lambda doc: self._opened(page, doc))
        task.signals.failed.connect(lambda msg, details: self._failed(page, msg, details))
        task.signals.cancelled.connect(lambda: self._remove_page(page))
        self.statusBar().showMessage(status)
        return start(task)

    def _shown(self, page: QWidget) -> bool:
        """False once the user has closed the Loading tab (the widget may be deleted)."""
        return shiboken6.isValid(page) and self.tabs.indexOf(page) >= 0

    def _opened(self, page: LoadingPage, document: Document) -> None:
        if not self._shown(page):
            return
        index = self.tabs.indexOf(page)
        title = self.tabs.tabText(index)  # the Loading tab's title (a pair names both files)
        view = DocumentView(document)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, view, title)
        self.tabs.setTabToolTip(index, document.path)
        self.tabs.setCurrentIndex(index)
        page.deleteLater()
        self._retitle_tabs()
        view.tree.setFocus()  # the keyboard works in the tree at once (issue 15)
        settings.add_recent(document.path)
        self._update_status()
        self.document_opened.emit(view)

    def _retitle_tabs(self) -> None:
        """Two open `model.h5` tabs get their folders added until their titles differ."""
        views = [(i, w) for i in range(self.tabs.count())
                 if isinstance(w := self.tabs.widget(i), DocumentView)]
        titles = unique_titles([w.document.path for _i, w in views])
        for (i, w), title in zip(views, titles, strict=True):
            base = getattr(w, "base_title", None) or self.tabs.tabText(i)
            w.base_title = base  # type: ignore[attr-defined]
            name = os.path.basename(w.document.path.rstrip(os.sep))
            self.tabs.setTabText(i, base.replace(name, title, 1) if name in base else base)

    def _failed(self, page: LoadingPage, message: str, details: str) -> None:
        if not self._shown(page):
            return
        self._remove_page(page)
        self.show_error(message, details)
        self.open_failed.emit(message)

    def _remove_page(self, page: QWidget) -> None:
        index = self.tabs.indexOf(page) if shiboken6.isValid(page) else -1
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
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one per error: not kept
        box.finished.connect(self._error_closed)
        box.open()
        self.error_dialog = box
        self.statusBar().showMessage(message)

    def _error_closed(self, _code: int) -> None:
        if self.error_dialog is not None and self.sender() is self.error_dialog:
            self.error_dialog = None

    def close_tab(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if isinstance(widget, LoadingPage):
            widget.task.cancel()  # the reader stops at its next step; nothing is left behind
        release_tab(widget)
        if widget is not None:
            self.tabs.removeTab(index)
            widget.deleteLater()
        self._retitle_tabs()
        self._update_status()

    # -- state
    def current_view(self) -> DocumentView | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, DocumentView) else None

    def show_netron(self, callback: object) -> None:
        """Show the current document's Graph tab; `callback()` (no arguments) once Netron has
        drawn it (used by `--screenshot --view netron`)."""
        from .netron.view import show_netron

        show_netron(self, callback)

    def _update_status(self) -> None:
        view = self.current_view()
        self.save_as_action.setEnabled(view is not None)
        for action in (self.find_action, self.find_next_action, self.find_previous_action):
            action.setEnabled(view is not None)
        self.attach_action.setEnabled(view is not None and
                                      view.document.format == "keras-weights-h5")
        if view is None:
            self.setWindowTitle("kinspect")
            return
        doc = view.document
        parts = [doc.format, ", ".join(f"{k} {v}" for k, v in doc.producer.items())]
        if doc.summary:
            parts.append(f"{doc.summary.total:,} parameters")
        if doc.nodes:
            parts.append(f"{len(doc.nodes):,} graph nodes")
        self.statusBar().showMessage("  ·  ".join(p for p in parts if p))
        self.setWindowTitle(f"{os.path.basename(doc.path.rstrip(os.sep))} — kinspect")

    # -- drag and drop: files, and folders (a SavedModel is a folder)
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = dropped_paths(event.mimeData().urls())
        for path in paths:
            self.open_path(path)
        if paths:
            event.acceptProposedAction()

    # -- window geometry, remembered between runs
    def _restore_geometry(self) -> None:
        store = settings.settings()
        geometry = store.value(settings.GEOMETRY_KEY)
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = store.value(settings.STATE_KEY)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)

    def save_geometry(self) -> None:
        store = settings.settings()
        store.setValue(settings.GEOMETRY_KEY, self.saveGeometry())
        store.setValue(settings.STATE_KEY, self.saveState())
        store.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_geometry()
        for i in range(self.tabs.count()):
            widget = self.tabs.widget(i)
            if isinstance(widget, LoadingPage):
                widget.task.cancel()
            release_tab(widget)
        super().closeEvent(event)


def release_tab(widget: QWidget | None) -> None:
    """A closing tab's work stops and what it holds ends: a document's Run page its confined
    model process, a Compare tab its comparison (tabs with such work have `release()`)."""
    release = getattr(widget, "release", None)
    if callable(release):
        release()


def unique_titles(paths: list[str]) -> list[str]:
    """Tab titles for PATHS: the base name, with as many parent folders as it takes to tell
    equal names apart (`a/model.h5`, `b/model.h5`); unique names stay bare."""
    parts = [os.path.abspath(p).rstrip(os.sep).split(os.sep) for p in paths]
    depth = [1] * len(paths)
    while True:
        titles = ["/".join(p[-d:]) for p, d in zip(parts, depth, strict=True)]
        clash = [i for i, t in enumerate(titles) if depth[i] < len(parts[i]) and any(
            t == u and parts[i] != q for u, q in zip(titles, parts, strict=True))]
        if not clash:
            return titles
        for i in clash:
            depth[i] += 1


def dropped_paths(urls: list) -> list[str]:  # noqa: ANN001 - list[QUrl]
    """Local files and folders among dropped URLs, in order, without duplicates."""
    out: list[str] = []
    for url in urls:
        if url.isLocalFile():
            path = url.toLocalFile().rstrip("/") or "/"
            if os.path.exists(path) and path not in out:
                out.append(path)
    return out
