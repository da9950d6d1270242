"""File > Save As: the targets the converter accepts for this document, their options, and the
conversion on a worker with progress and Cancel.

Everything is driven by kinspect.convert.registry (exporters_for, Exporter.options, convert),
so the dialog holds no second list of targets. Questions (overwrite, trust) are non-blocking
message boxes kept on the dialog (`overwrite_box`, `trust_box`) so tests can answer them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...convert.registry import Exporter, Option, convert, exporters_for
from ...convert.result import ConvertReport
from ...model import Document
from ...safety import ScanReport
from .. import settings
from ..workers import Task, start
from .trust import TrustCheck

HIDDEN = ("force", "trust_code")  # asked for with a question, not a check box
VERIFY_KEY = "save_as/verify"  # the user's last choice; ticked until they untick it
FOLDER_KEY = "save_as/folder"  # where the last export went
SUFFIX_LABELS = {".pb": "binary (.pb)", ".pbtxt": "text (.pbtxt)", ".h5": "HDF5 (.h5)",
                 ".weights.h5": "Keras 3 (.weights.h5)"}
# Returns the chosen path ("" when cancelled): (parent, caption, start path, filter).
Chooser = Callable[[QWidget, str, str, str], str]


def native_chooser(parent: QWidget, caption: str, start_path: str, filters: str) -> str:
    path, _ = QFileDialog.getSaveFileName(
        parent, caption, start_path, filters,
        options=QFileDialog.Option.DontConfirmOverwrite)  # we ask ourselves, once
    return path


def remembered_verify() -> bool:
    value = settings.settings().value(VERIFY_KEY, True)
    return value not in (False, "false", "0", 0)


def default_folder(src: str) -> str:
    """Where an export goes by default: the folder of the last export, else the source's own
    folder when it is writable, else the user's Documents (or home). Sources often sit in
    read-only places (a mounted share, a package's test data)."""
    last = str(settings.settings().value(FOLDER_KEY, "") or "")
    if last and os.path.isdir(last) and os.access(last, os.W_OK):
        return last
    folder = os.path.dirname(os.path.abspath(src))
    if os.path.isdir(folder) and os.access(folder, os.W_OK):
        return folder
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return documents if documents and os.path.isdir(documents) else os.path.expanduser("~")


class SaveAsDialog(TrustCheck, QDialog):
    converted = Signal(object)  # ConvertReport
    failed = Signal(str)  # one-line message (shown in the dialog; by the window once hidden)

    def __init__(self, document: Document, picks: list[str] | None = None,
                 target: str | None = None, parent: QWidget | None = None,
                 chooser: Chooser = native_chooser,
                 known_report: Callable[[], ScanReport | None] | None = None) -> None:
        """KNOWN_REPORT: the Safety page's scan of the document, once it has one."""
        super().__init__(parent)
        self.setWindowTitle("Save As")
        self.document = document
        self.picks = list(picks or [])
        self.chooser = chooser
        self.exporters: list[Exporter] = exporters_for(document)
        self.task: Task | None = None
        self.report: ConvertReport | None = None
        self.trusted = False
        self.known_report = known_report
        self._pending: tuple[str, bool] = ("", False)
        self.overwrite_box: QMessageBox | None = None
        self.trust_box: QMessageBox | None = None
        self.widgets: dict[str, QWidget] = {}

        self.target_box = QComboBox()
        for exp in self.exporters:
            self.target_box.addItem(exp.label, exp.id)
        self.suffix_box = QComboBox()
        self.suffix_box.currentIndexChanged.connect(self._suffix_changed)
        self.destination = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.browse)
        dest_row = QHBoxLayout()
        dest_row.addWidget(self.destination, 1)
        dest_row.addWidget(browse)
        self.options_form = QFormLayout()
        form = QFormLayout()
        form.addRow("Save as", self.target_box)
        form.addRow("File type", self.suffix_box)
        form.addRow("Destination", dest_row)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.hide()
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.clicked.connect(self.export)
        self.cancel_button.clicked.connect(self.cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("<b>Options</b>"))
        layout.addLayout(self.options_form)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.target_box.currentIndexChanged.connect(self._target_changed)
        if not self.exporters:
            self.status.setText(f"{document.format} cannot be converted to anything.")
            self.export_button.setEnabled(False)
        else:
            self.select_target(target or self.exporters[0].id)
            self._target_changed()
        self.resize(560, self.sizeHint().height())

    # -- target and options
    @property
    def exporter(self) -> Exporter:
        return self.exporters[self.target_box.currentIndex()]

    def targets(self) -> list[str]:
        return [self.target_box.itemData(i) for i in range(self.target_box.count())]

    def select_target(self, target: str) -> None:
        index = self.target_box.findData(target)
        if index >= 0:
            self.target_box.setCurrentIndex(index)

    def _target_changed(self, _index: int = 0) -> None:
        exp = self.exporter
        while self.options_form.rowCount():
            self.options_form.removeRow(0)
        self.widgets = {}
        for option in exp.options:
            if option.name in HIDDEN or not self._applies(option):
                continue
            widget = self._widget(option)
            self.widgets[option.name] = widget
            label = option.name.replace("_", " ").capitalize()
            self.options_form.addRow(label, widget)
        self.suffix_box.blockSignals(True)
        self.suffix_box.clear()
        for suffix in exp.suffixes:
            self.suffix_box.addItem(SUFFIX_LABELS.get(suffix, suffix), suffix)
        self.suffix_box.setEnabled(len(exp.suffixes) > 1)
        if exp.is_dir:
            self.suffix_box.addItem("folder", "")
        self.suffix_box.blockSignals(False)
        self.destination.setText(self.default_destination())

    def _applies(self, option: Option) -> bool:
        """An architecture file only for weights-only sources, a signature only for sources
        that have signatures."""
        if option.name == "arch":
            return self.document.format == "keras-weights-h5"
        if option.name == "signature":
            return self.document.format == "tf-savedmodel" or bool(self.document.signatures)
        return True

    def _widget(self, option: Option) -> QWidget:
        widget: QWidget
        if option.name == "verify":  # on by default in the window, then as last exported
            widget = QCheckBox()
            widget.setChecked(remembered_verify())
        elif option.kind == "bool":
            widget = QCheckBox()
            widget.setChecked(bool(option.default))
        elif option.kind == "int":
            widget = QSpinBox()
            widget.setRange(0, 2_000_000_000)  # shard sizes are bytes (4 MiB by default)
            if option.default is None:
                widget.setSpecialValueText("default")  # 0 shows as "default" (None)
            widget.setValue(int(option.default or 0))
        elif option.choices:  # e.g. quantize: none or one of the modes
            widget = QComboBox()
            widget.addItem("(none)", None)
            for choice in option.choices:
                widget.addItem(choice, choice)
        elif option.name == "signature" and self.document.signatures:
            widget = QComboBox()
            widget.addItem("(default)", None)
            for key in self.document.signatures:
                widget.addItem(key, key)
        else:
            widget = QLineEdit()
            if option.name == "outputs":
                widget.setText(", ".join(self.picks))
                widget.setPlaceholderText("the model's own outputs (pick in the Outputs page)")
            elif option.name == "arch":
                pairing = self.document.extra.get("pairing") or {}
                widget.setText(str(pairing.get("architecture") or ""))  # File > Attach
                widget.setPlaceholderText("architecture file (.json, .yaml, .h5, .keras)")
            elif option.default is not None:
                widget.setText(str(option.default))
        widget.setToolTip(option.help)
        return widget

    def values(self) -> dict[str, Any]:
        """The options as convert() takes them (the same fields as the CLI's)."""
        out: dict[str, Any] = {}
        for name, widget in self.widgets.items():
            if isinstance(widget, QCheckBox):
                out[name] = widget.isChecked()
            elif isinstance(widget, QSpinBox):
                out[name] = widget.value() or None if widget.specialValueText() \
                    else widget.value()
            elif isinstance(widget, QComboBox):
                out[name] = widget.currentData()
            elif isinstance(widget, QLineEdit):
                text = widget.text().strip()
                if name == "outputs":
                    out[name] = [t.strip() for t in text.split(",") if t.strip()] or None
                else:
                    out[name] = text or None
        return {k: v for k, v in out.items() if v is not None}

    def set_option(self, name: str, value: Any) -> None:
        widget = self.widgets[name]
        if isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, QSpinBox):
            widget.setValue(int(value))
        elif isinstance(widget, QLineEdit):
            widget.setText(", ".join(value) if isinstance(value, list) else str(value))
        elif isinstance(widget, QComboBox):
            widget.setCurrentIndex(max(0, widget.findData(value)))

    # -- destination
    def suffix(self) -> str:
        return self.suffix_box.currentData() or ""

    def default_destination(self) -> str:
        src = self.document.path.rstrip(os.sep)
        folder = default_folder(src)
        stem = os.path.basename(src)
        for ext in (".weights.h5", ".h5", ".hdf5", ".keras", ".pbtxt", ".pb", ".json",
                    ".yaml", ".yml", ".meta", ".index"):
            if stem.lower().endswith(ext):
                stem = stem[: -len(ext)]
                break
        name = f"{stem or 'model'}_{self.exporter.id.replace('-', '_')}" \
            if self.exporter.is_dir else f"{stem or 'model'}{self.suffix()}"
        return os.path.join(folder, name)

    def _suffix_changed(self, _index: int) -> None:
        path, new = self.destination.text().strip(), self.suffix()
        for old in sorted(self.exporter.suffixes, key=len, reverse=True):
            if path.lower().endswith(old):
                self.destination.setText(path[: -len(old)] + new)
                return

    def browse(self) -> None:
        exp = self.exporter
        path = self.chooser(self, f"Save as {exp.label}", self.destination.text(),
                            f"{exp.dialog_filter};;All files (*)")
        if path:
            if exp.suffixes and not any(path.lower().endswith(s) for s in exp.suffixes):
                path += self.suffix()
            self.destination.setText(path)

    # -- running
    def export(self) -> None:
        """Export: ask before overwriting, ask for trust when needed, then convert."""
        dst = self.destination.text().strip()
        if not dst:
            self.show_status("Choose where to save.")
            return
        if os.path.lexists(dst):
            box = QMessageBox(QMessageBox.Icon.Warning, "Save As",
                              f"{dst} exists. Replace it?",
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                              self)
            box.setDefaultButton(QMessageBox.StandardButton.No)
            box.finished.connect(lambda code: self._overwrite_answer(code, dst))
            self.overwrite_box = box
            box.open()
            return
        self._remember(dst)
        self._check_trust(dst, force=False)

    def _remember(self, dst: str) -> None:
        """The verify choice and the folder, for the next Save As."""
        store = settings.settings()
        if "verify" in self.widgets:
            store.setValue(VERIFY_KEY, bool(self.values().get("verify")))
        store.setValue(FOLDER_KEY, os.path.dirname(os.path.abspath(dst)))
        store.sync()

    def _overwrite_answer(self, code: int, dst: str) -> None:
        if code == QMessageBox.StandardButton.Yes:
            self._check_trust(dst, force=True)
        else:
            self.show_status(f"Not saved: {dst} exists and was kept.")

    def run(self, dst: str, force: bool = False) -> Task:
        """Convert on a worker; progress in the bar, Cancel stops it (nothing left at DST)."""
        values = dict(self.values(), force=force, trust_code=self.trusted)
        if values.get("calibration"):  # int8 TFLite: kinspect run's input loaders
            from ...run.calibration import load

            values["calibration_loader"] = load
        if values.get("verify"):  # a failed verification names the first diverging layer
            from ...compare.verify_hook import first_divergence_text

            values["divergence_finder"] = first_divergence_text
        src, target = self.document.path, self.exporter.id
        task = Task(lambda progress: convert(src, dst, target, values, progress,
                                             keep_process=True), src)
        task.signals.progress.connect(self._progress)
        task.signals.finished.connect(self._finished)
        task.signals.failed.connect(lambda message, _details: self._failed(message))
        task.signals.cancelled.connect(self._cancelled)
        self.task = task
        self.bar.setValue(0)
        self.bar.show()
        self.export_button.setEnabled(False)
        self.target_box.setEnabled(False)
        self.show_status(f"Saving {os.path.basename(dst)}…")
        return start(task, name="kinspect-convert")

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.show_status("Cancelling…")
        else:
            self.reject()

    def reject(self) -> None:
        """Esc or the close button: a running conversion is cancelled (the converter stops at
        its next stage and removes what it wrote); the dialog hides at once and closes when
        the task has reported, so a failure still reaches the user (`failed`)."""
        if self.task is None:
            super().reject()
            return
        self.cancel()
        self.hide()

    def _close_if_hidden(self) -> None:
        if not self.isVisible():
            super().reject()

    def _progress(self, fraction: float, message: str) -> None:
        self.bar.setValue(int(fraction * 1000))
        if message:
            self.show_status(message)

    def _done(self) -> None:
        self.task = None
        self.bar.hide()
        self.export_button.setEnabled(True)
        self.target_box.setEnabled(True)
        self.cancel_button.setEnabled(True)

    def _finished(self, report: ConvertReport) -> None:
        self._done()
        self.report = report
        self.show_status(f"Saved {report.dst}")
        self.converted.emit(report)
        self.accept()

    def _failed(self, message: str) -> None:
        self._done()
        # The core speaks the CLI's words; here the option is a check box.
        message = message.replace("convert without --verify", "untick Verify and save again")
        self.show_status(message)
        self.failed.emit(message)
        self._close_if_hidden()

    def _cancelled(self) -> None:
        self._done()
        self.show_status("Cancelled: nothing was written.")
        self._close_if_hidden()

    def show_status(self, text: str) -> None:
        self.status.setText(text)

