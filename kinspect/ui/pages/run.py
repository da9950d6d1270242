"""The Run page: run the open model on real inputs and look at what comes out.

Per input a source (an image or .npy dropped or picked, or random), a preprocess mode, a labels
file; Run (Ctrl+R) loads the model once on a worker (after the trust prompt when the scan finds
code or file operations), then runs it on a worker; the loaded model is kept for the next run.
Shows the input image, the top-K as bars, each output's (and, with layers, each layer's)
statistics and histogram in the tensor view that weights use; Save results… writes a .npz.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...model import TensorInfo
from ...run.preprocess import MODES
from ..tensor_view import TensorView
from ..workers import Task, start
from .run_parts import InputRow, TopChart

if TYPE_CHECKING:
    from ...run.runner import Runner
    from ..document_view import DocumentView

RUNNABLE = ("keras-h5", "keras", "tf-savedmodel", "tf-graphdef", "tf-checkpoint", "tflite",
            "onnx", "tfjs-layers", "tfjs-graph")


class RunPage(QWidget):
    def __init__(self, view: DocumentView) -> None:
        super().__init__()
        self.view = view  # its tree shows each layer's activation after a run with layers
        self.path, self.format = view.document.path, view.document.format
        self.runner: Runner | None = None
        self.trusted = False
        self.task: Task | None = None
        self.last: dict[str, Any] | None = None  # inputs, result, seconds, entries
        self.rows: dict[str, InputRow] = {}
        self.trust_box: Any = None
        self.warming: Task | None = None  # compiles the model for fast next runs
        self.status = QLabel("Run loads the model (TensorFlow, onnxruntime) on first use, in a "
                             "confined process that can read only the model and reach no "
                             "network, and keeps it loaded. Inputs default to random values.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.inputs_box = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        # Buttons above the input rows, which appear once the model is loaded: Cancel stays
        # where the pointer is (it moved down 45 px under a user's click when rows came in).
        layout.addLayout(self._buttons())
        layout.addLayout(self.inputs_box)
        layout.addLayout(self._options())
        layout.addWidget(self._results(), 1)
        # Window-wide, but only the shown document's page reacts: Qt ignores the shortcuts of
        # hidden widgets (other documents' pages, this page behind another tab).
        self.shortcut = QShortcut(QKeySequence("Ctrl+R"), self)
        self.shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self.shortcut.activated.connect(self.run)

    # -- layout
    def _options(self) -> QFormLayout:
        form = QFormLayout()
        self.preprocess = QComboBox()
        self.preprocess.addItems(["auto", *MODES])
        self.preprocess.setToolTip("For image inputs, as keras.applications defines them; "
                                   "auto: guessed from the model, else none")
        self.labels = QLineEdit()
        self.labels.setPlaceholderText("labels: one per line, or an ImageNet JSON index")
        pick = QPushButton("Pick…")
        pick.clicked.connect(self._pick_labels)
        labels_row = QHBoxLayout()
        labels_row.addWidget(self.labels, 1)
        labels_row.addWidget(pick)
        self.top = QSpinBox()
        self.top.setRange(1, 100)
        self.top.setValue(5)
        self.with_layers = QCheckBox("every layer's activations (one pass)")
        form.addRow("Preprocess", self.preprocess)
        form.addRow("Labels", labels_row)
        form.addRow("Top K", self.top)
        form.addRow("Layers", self.with_layers)
        return form

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.run_button = QPushButton("Run (Ctrl+R)")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.save_button = QPushButton("Save results…")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save_results)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.hide()
        for widget in (self.run_button, self.cancel_button, self.save_button):
            row.addWidget(widget)
        row.addWidget(self.progress, 1)
        return row

    def _results(self) -> QSplitter:
        self.results = QListWidget()
        self.results.currentItemChanged.connect(lambda item, _prev: self._show(item))
        self.chart = TopChart()
        self.tensor_view = TensorView()
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.chart)
        right.addWidget(self.tensor_view)
        split = QSplitter()
        split.addWidget(self.results)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        return split

    def _pick_labels(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Class labels", "",
                                              "Labels (*.txt *.json);;All files (*)")
        if path:
            self.labels.setText(path)

    # -- loading
    def run(self) -> None:
        """Ctrl+R: load first when needed, then run on the sources shown."""
        if self.task is not None:
            return
        if self.runner is None or not getattr(self.runner, "alive", True):
            self._forget_runner()
            self._load()
        else:
            self._run()

    def _load(self) -> None:
        path, fmt, trusted = self.path, self.format, self.trusted
        known = self.view.scan_report()

        def work(progress: Any) -> tuple[str, Any]:
            from ...run.remote import load_confined

            if not trusted:
                from ...safety import scan
                from ..save_as.trust import trust_findings

                findings = trust_findings(known if known is not None else scan(path), fmt,
                                          verify=True)
                if findings:
                    return "ask", findings
            # Loaded and run in a confined child (run/remote.py), as `kinspect run` does.
            return "runner", load_confined(path, trust_code=trusted, progress=progress)

        self._start(Task(work, path), self._loaded, "Loading the model…")

    def _loaded(self, outcome: tuple[str, Any]) -> None:
        kind, value = outcome
        if kind == "ask":
            from ..save_as.trust import ask_trust

            self.status.setText("Running this model runs code or file operations from the "
                                "file: waiting for your answer.")
            self.trust_box = ask_trust(self, value, self._trust_answer, "Running")
            return
        self.runner = value
        for spec in value.inputs.values():
            row = InputRow(spec)
            self.rows[spec.name] = row
            self.inputs_box.addWidget(row)
        self._run()

    def _forget_runner(self) -> None:
        """Drop a runner whose child ended (a cancel ends it): the next Run loads again."""
        if self.runner is not None:
            self.runner.close()
            self.runner = None
        for row in self.rows.values():
            row.deleteLater()
        self.rows.clear()

    def _trust_answer(self, yes: bool) -> None:
        if not shiboken6.isValid(self):
            return
        if yes:
            self.trusted = True
            self._load()
        else:
            self.status.setText("Not run: the model holds code or file operations and is not "
                                "trusted (see the Safety page).")

    # -- running
    def _run(self) -> None:
        runner = self.runner
        assert runner is not None
        sources = {n: r.source.text().strip() or "random" for n, r in self.rows.items()}
        mode = self.preprocess.currentText()
        labels_path = self.labels.text().strip()
        k, layers = self.top.value(), self.with_layers.isChecked()

        def work(progress: Any) -> dict[str, Any]:
            from ...run import report, session

            labels = report.load_labels(labels_path) if labels_path else None
            inputs = session.read_inputs(runner, sources, None if mode == "auto" else mode)
            wanted = runner.layer_names() if layers else []
            result, seconds = session.execute(runner, inputs, wanted, progress)
            entries = {n: report.tensor_entry(v, k, labels, with_values=False)
                       for n, v in result.outputs.items()}
            return {"inputs": inputs, "result": result, "seconds": seconds,
                    "entries": entries, "activations": activations(result.layers)}

        self._start(Task(work, self.path), self._ran, "Running…")

    def _ran(self, outcome: dict[str, Any]) -> None:
        self.last = outcome
        for name, loaded in outcome["inputs"].items():
            self.rows[name].show_image(loaded.image)
        self.results.clear()
        result = outcome["result"]
        for kind, values in (("output", result.outputs), ("layer", result.layers)):
            for name in values:
                item = QListWidgetItem(f"{kind} {name}")
                item.setData(Qt.ItemDataRole.UserRole, (kind, name))
                self.results.addItem(item)
        self.save_button.setEnabled(True)
        modes = sorted({x.preprocess for x in outcome["inputs"].values()})
        self.status.setText(f"Ran in {outcome['seconds']:.3f} s (preprocess "
                            f"{', '.join(modes)}). {self.summary()}")
        self.results.setCurrentRow(0)
        self.view.show_activations(outcome["activations"])
        self._warm(outcome)

    def _warm(self, outcome: dict[str, Any]) -> None:
        """After a run, compile the model for inputs like these on a worker, so that the next
        runs are fast (InceptionV3: 0.05 s instead of 2-3 s eager)."""
        runner = self.runner
        if runner is None or self.warming is not None:
            return
        feeds = {n: x.array for n, x in outcome["inputs"].items()}
        layers = list(outcome["result"].layers)
        task = Task(lambda _progress: runner.warm(feeds, layers), self.path)
        self.warming = task
        task.signals.finished.connect(self._warmed)
        task.signals.failed.connect(self._warmed)
        start(task, name="kinspect-run-warm")

    def _warmed(self, *_: Any) -> None:
        if shiboken6.isValid(self):
            self.warming = None

    def summary(self) -> str:
        """The first output's top-1, when it has scores."""
        if not self.last:
            return ""
        for name, entry in self.last["entries"].items():
            if entry.get("top"):
                best = entry["top"][0][0]
                label = f" {best['label']}" if best.get("label") else ""
                return f"{name}: top-1 {best['index']}{label} {best['score']:.6g}"
        return ""

    def _show(self, item: QListWidgetItem | None) -> None:
        if item is None or self.last is None:
            return
        kind, name = item.data(Qt.ItemDataRole.UserRole)
        result = self.last["result"]
        values = (result.outputs if kind == "output" else result.layers)[name]
        entry = self.last["entries"].get(name) if kind == "output" else None
        self.chart.show_top(entry["top"][0] if entry and entry.get("top") else [])
        self.chart.setVisible(bool(entry and entry.get("top")))
        self.tensor_view.load(TensorInfo(name, tuple(values.shape), values.dtype.name,
                                         loader=lambda v=values: v))

    # -- worker plumbing
    def _start(self, task: Task, done: Any, message: str) -> None:
        self.task = task
        task.signals.progress.connect(self._progress)
        task.signals.finished.connect(lambda value: self._finish(done, value))
        task.signals.failed.connect(self._failed)
        task.signals.cancelled.connect(lambda: self._finish(None, self._cancelled_text()))
        self.status.setText(message)
        self.progress.setValue(0)
        self.progress.show()
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.save_button.setEnabled(False)  # the shown results are about to be replaced
        start(task, name="kinspect-run")

    def _finish(self, done: Any, value: Any) -> None:
        if not shiboken6.isValid(self):
            return
        self.task = None
        self.progress.hide()
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.save_button.setEnabled(self.last is not None)
        if done is None:
            self.status.setText(value)
        else:
            done(value)

    def _failed(self, message: str, _details: str) -> None:
        self._finish(None, f"Cannot run: {message}")

    def _progress(self, fraction: float, message: str) -> None:
        if shiboken6.isValid(self):
            self.progress.setValue(int(fraction * 100))
            self.progress.setFormat(message or "%p%")

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _cancelled_text(self) -> str:
        if self.runner is not None and not getattr(self.runner, "alive", True):
            return "Cancelled: the model's process was stopped; Run loads it again."
        return "Cancelled."

    def release(self) -> None:
        """The document closes: stop what runs and end the model's confined process."""
        self.cancel()
        if self.warming is not None:
            self.warming.cancel()
        if self.runner is not None:
            self.runner.close()
            self.runner = None

    def save_results(self, path: str | None = None) -> None:
        if self.last is None:
            return
        if not path:
            base = os.path.splitext(os.path.basename(self.path.rstrip("/")))[0]
            path, _ = QFileDialog.getSaveFileName(self, "Save results", f"{base}-run.npz",
                                                  "NumPy archive (*.npz)")
        if not path:
            return
        from ...errors import KinspectError
        from ...run.session import save_npz

        try:
            save_npz(path, self.last["inputs"], self.last["result"])
        except (KinspectError, OSError) as exc:
            self.status.setText(f"Cannot save: {exc}")
            return
        self.status.setText(f"Saved {path}")


def activations(layers: dict[str, Any]) -> dict[str, tuple[str, TensorInfo]]:
    """Tree rows' Activation column: each layer's (or graph node's first output's) statistics
    and its values, keyed by the row's name (a graph tensor `node:0` shows on row `node`)."""
    out: dict[str, tuple[str, TensorInfo]] = {}
    for name, values in layers.items():
        row = name[:-2] if name.endswith(":0") else name
        if row in out or not np.issubdtype(values.dtype, np.number):
            continue
        data = values.astype(np.float64, copy=False)
        text = (f"mean {data.mean():.4g} ± {data.std():.4g}  "
                f"[{data.min():.4g}, {data.max():.4g}]") if data.size else "empty"
        out[row] = (text, TensorInfo(name, tuple(values.shape), values.dtype.name,
                                     loader=lambda v=values: v))
    return out


def create(view: DocumentView) -> QWidget | None:
    """Page factory: for files that can run (models with weights or a graph)."""
    if view.document.format not in RUNNABLE:
        return None
    return RunPage(view)
