"""Both tensors' statistics and the histogram of their difference, for the selected weight or
layer output. Weights are read on a worker (one tensor pair at a time)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from ... import tensor_stats
from ...model import TensorInfo
from ..workers import Task, start
from .charts import chart_view, histogram_counts, plot_histogram

ROWS = ["", "shape", "min", "max", "mean", "std"]


class DiffPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Select a weight or a layer to see both tensors and their "
                            "difference.")
        self.title.setWordWrap(True)
        grid = QGridLayout()
        self.cells: dict[tuple[int, int], QLabel] = {}
        for r, name in enumerate(ROWS):
            grid.addWidget(QLabel(name), r, 0)
            for c, head in enumerate(("A", "B", "B - A"), start=1):
                label = QLabel(head if r == 0 else "")
                self.cells[(r, c)] = label
                grid.addWidget(label, r, c)
        self.plot = chart_view("histogram of B - A")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(grid)
        layout.addWidget(self.plot, 1)
        self._wanted: Any = None

    def show_arrays(self, title: str, a: np.ndarray, b: np.ndarray) -> None:
        self._wanted = None
        self.title.setText(title)
        self._show(*_summaries(np.asarray(a), np.asarray(b)))

    def show_tensors(self, title: str, ta: TensorInfo | None, tb: TensorInfo | None) -> Task | None:
        """Read both on a worker; a later selection wins over a late read."""
        self.title.setText(f"{title} (reading…)")
        if ta is None or tb is None or not (ta.has_values and tb.has_values):
            self.title.setText(f"{title}: only one side has values")
            return None
        key = object()
        self._wanted = key
        task = Task(lambda _p: _summaries(ta.read(), tb.read()), ta.name)
        task.signals.finished.connect(lambda res: self._read(key, title, res))
        task.signals.failed.connect(lambda msg, _d: self._failed(key, title, msg))
        return start(task)

    def histogram(self) -> list[float]:
        return histogram_counts(self.plot.chart())

    def _read(self, key: object, title: str, result: tuple) -> None:
        if key is self._wanted:
            self.title.setText(title)
            self._show(*result)

    def _failed(self, key: object, title: str, message: str) -> None:
        if key is self._wanted:
            self.title.setText(f"{title}: {message}")

    def _show(self, shapes: tuple, stats: list[tensor_stats.TensorStats]) -> None:
        for c, (shape, st) in enumerate(zip(shapes, stats, strict=True), start=1):
            values = [shape, st.min, st.max, st.mean, st.std]
            for r, v in enumerate(values, start=1):
                self.cells[(r, c)].setText(v if isinstance(v, str) else
                                           tensor_stats.format_value(v) if v is not None else "-")
        plot_histogram(self.plot, stats[2].counts, stats[2].edges)


def _summaries(a: np.ndarray, b: np.ndarray) -> tuple[tuple, list[tensor_stats.TensorStats]]:
    """Statistics of A, B and B - A (B reshaped to A when only the layout differs)."""
    if a.shape != b.shape and a.size == b.size:
        b = b.reshape(a.shape)
    shapes = (str(a.shape), str(b.shape), str(a.shape) if a.shape == b.shape else "-")
    stats = [tensor_stats.compute(a), tensor_stats.compute(b)]
    if a.shape == b.shape and a.dtype.kind in "biuf" and b.dtype.kind in "biuf":
        stats.append(tensor_stats.compute(b.astype(np.float64) - a.astype(np.float64)))
    else:
        stats.append(tensor_stats.compute(np.zeros(0)))
    return shapes, stats
