"""A Compare tab: A and B side by side, the layer-by-layer table, and the selected difference.

The comparison (`kinspect.compare.compare`, the same core as `kinspect compare`) runs on a
worker with progress and Cancel; dropping a file on the tab compares A with it instead.
"""

from __future__ import annotations

import os
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...compare.comparison import Comparison, compare
from ...compare.layers import Diff
from ...compare.structure import Pair
from ..theme import is_dark
from ..workers import Task, start
from .diff_panel import DiffPanel
from .layer_table import LayerTable
from .trees import SideBySideTrees


class CompareView(QWidget):
    finished = Signal(object)  # Comparison
    failed = Signal(str)
    chosen = Signal(str, str)  # A's and B's name of the chosen layer or node ("" when none)

    def __init__(self, path_a: str, path_b: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path_a, self.path_b = path_a, path_b
        self.comparison: Comparison | None = None
        self.task: Task | None = None
        self.setAcceptDrops(True)
        self.header = QLabel()
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verdict = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.cancel_button = QPushButton("Cancel", clicked=self.cancel)
        self.trust_box = QCheckBox("Trust code in these files (Lambda layers, custom objects)")
        self.trust_box.toggled.connect(lambda _on: self.run())
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.verdict)
        top.addWidget(self.bar)
        top.addWidget(self.cancel_button)
        self.trees = SideBySideTrees()
        self.layers = LayerTable()
        self.diff = DiffPanel()
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.layers)
        right.addWidget(self.diff)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.trees)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([560, 700])
        right.setSizes([460, 340])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.trust_box)
        layout.addWidget(split, 1)
        self.layers.selected.connect(self._layer_chosen)
        self.trees.selected.connect(self._tree_chosen)

    # -- running the comparison
    def run(self) -> Task:
        """Compare on a worker; a run already going is cancelled first."""
        if self.task is not None:
            self.task.cancel()
        a, b, trust = self.path_a, self.path_b, self.trust_box.isChecked()
        self.header.setText(f"A: {a}\nB: {b}")
        self.verdict.setText("comparing…")
        self.bar.setValue(0)
        self.bar.show()
        self.cancel_button.setEnabled(True)
        task = Task(lambda progress: compare(a, b, trust_code=trust, keep_values=True,
                                             progress=progress), a)
        self.task = task
        task.signals.progress.connect(lambda f, m: self._progress(task, f, m))
        task.signals.finished.connect(lambda c: self._done(task, c))
        task.signals.failed.connect(lambda msg, _d: self._failed(task, msg))
        task.signals.cancelled.connect(lambda: self._failed(task, "cancelled"))
        return start(task)

    def release(self) -> None:
        """The tab closes: a comparison still going is cancelled (its child process ends)."""
        self.cancel()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.verdict.setText("cancelling…")

    def _progress(self, task: Task, fraction: float, message: str) -> None:
        if task is self.task and shiboken6.isValid(self):
            self.bar.setValue(int(fraction * 1000))
            self.verdict.setText(message[:80])

    def _done(self, task: Task, c: Comparison) -> None:
        if task is not self.task or not shiboken6.isValid(self):
            return
        self.task, self.comparison = None, c
        self.bar.hide()
        self.cancel_button.setEnabled(False)
        self.verdict.setText("EQUAL within tolerance" if c.equal else "DIFFERENT")
        self.verdict.setStyleSheet("font-weight: bold; color: %s" %
                                   ("#2a7a2a" if c.equal else "#b22222"))
        self.trees.fill(c, is_dark(self.palette()))
        self.layers.fill(c)
        self.finished.emit(c)

    def _failed(self, task: Task, message: str) -> None:
        if task is not self.task or not shiboken6.isValid(self):
            return
        self.task = None
        self.bar.hide()
        self.cancel_button.setEnabled(False)
        self.verdict.setText(message if message == "cancelled" else "failed")
        self.header.setText(f"A: {self.path_a}\nB: {self.path_b}\n{message}")
        self.failed.emit(message)

    # -- selection: a row shows its values and selects the layer in both trees
    def _layer_chosen(self, d: Diff) -> None:
        self.trees.select_pair(d.a)
        self.chosen.emit(d.a, d.b)
        self._show_values(d.a, f"{d.a} ~ {d.b}" if d.b != d.a else d.a)

    def _tree_chosen(self, kind: str, payload: Any) -> None:
        if kind == "weight":
            diff, ta, tb = payload
            name = (ta or tb).name if (ta or tb) else ""
            self.diff.show_tensors(name, ta, tb)
        elif kind == "pair":
            pair: Pair = payload
            self.chosen.emit(*self._names(pair))
            for key in (pair.a, f"{pair.a}:0"):
                if key and self._show_values(key, pair.a or ""):
                    break

    def _names(self, pair: Pair) -> tuple[str, str]:
        """A's and B's name of PAIR as their trees know it: a Keras layer's graph side is
        the scope's output tensor (a node), not the scope."""
        a, b = pair.a or "", pair.b or ""
        if pair.graph_tensor and self.comparison is not None:
            b_is_graph = bool(self.comparison.b.doc and not self.comparison.b.doc.layers)
            if b_is_graph:
                b = pair.graph_tensor
            else:
                a = pair.graph_tensor
        return a, b

    def _show_values(self, name: str, title: str) -> bool:
        values = self.comparison.values if self.comparison else {}
        pair = values.get(name)
        if pair is None:
            return False
        self.diff.show_arrays(f"{title}: layer output", pair[0], pair[1])
        return True

    # -- a file dropped on the tab becomes B
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.path_b = paths[0]
            self.run()

    def title(self) -> str:
        return (f"{os.path.basename(self.path_a.rstrip(os.sep))} ⇄ "
                f"{os.path.basename(self.path_b.rstrip(os.sep))}")
