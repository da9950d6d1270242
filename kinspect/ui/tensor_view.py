"""A tensor's values: statistics, a histogram (QtCharts) and a table of a 1-D or 2-D slice.

Values are read and summarised on a worker (`kinspect.tensor_stats` samples big tensors), so
selecting a 1 GB weight never freezes the window; selecting another row while a read is running
simply ignores the late result. A big tensor's other slices (the axis spin boxes) are read on
a worker too, one at a time, the latest wanted slice next.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shiboken6
from PySide6.QtCharts import QAreaSeries, QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    Qt,
)
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .. import tensor_stats
from ..model import TensorInfo
from .theme import is_dark
from .workers import Task, start

Index = QModelIndex | QPersistentModelIndex
# Tensors bigger than this whose reader can read parts (TensorInfo.slicer) are never read whole:
# statistics come from a strided sample, the table from one 2-D slice (a 1 GB HDF5 weight: 0.1 s
# and ~100 MB instead of 0.6 s and 1 GB).
FULL_READ_LIMIT = 64 * 2**20


def read_by_parts(tensor: TensorInfo) -> bool:
    return (tensor.slicer is not None and tensor.shape is not None
            and tensor.nbytes is not None and tensor.nbytes > FULL_READ_LIMIT)


WIDEST_CELL = "-8.88888e-888"  # the longest float format_value writes (6 significant digits)


class ArrayTableModel(QAbstractTableModel):
    """A 2-D numpy array as a read-only table; cells are formatted only when drawn."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.array = np.zeros((0, 0))

    def set_array(self, array: np.ndarray) -> None:
        self.beginResetModel()
        self.array = array
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else int(self.array.shape[0])

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else int(self.array.shape[1])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return tensor_stats.format_value(self.array[index.row(), index.column()])
        if role == Qt.ItemDataRole.ToolTipRole:  # every digit the value has
            value = self.array[index.row(), index.column()]
            return repr(float(value)) if isinstance(value, (float, np.floating)) \
                else tensor_stats.format_value(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return str(section) if role == Qt.ItemDataRole.DisplayRole else None


class TensorView(QWidget):
    """Shows one `TensorInfo`; `load(tensor)` starts a worker, `task` is the running read."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tensor: TensorInfo | None = None
        self.values: np.ndarray | None = None
        self.stats: tensor_stats.TensorStats | None = None
        self.first_slice: np.ndarray | None = None  # big tensors: the table's first slice
        self.note = ""  # the status after loading (a slice error replaces it until the next)
        self._slice_reading = False
        self._shown: tuple[TensorInfo | None, tuple[int, ...]] = (None, ())
        self.task: Task | None = None
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.stat_labels: dict[str, QLabel] = {}
        form = QGridLayout()
        for i, key in enumerate(("min", "max", "mean", "std")):
            label = QLabel("–")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.stat_labels[key] = label
            form.addWidget(QLabel(f"<b>{key}</b>"), i // 2, (i % 2) * 2)
            form.addWidget(label, i // 2, (i % 2) * 2 + 1)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        self.chart = QChart()
        self.chart.legend().hide()
        self.chart.setMargins(self.chart.margins() * 0)
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(160)
        self.table_model = ArrayTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.table_model)
        # Wide enough for the longest cell format_value writes ("-1.23457e-05"): at 80 px the
        # table showed "-0.00259…" (issue 15); the tooltip holds the full value too.
        self.table.horizontalHeader().setDefaultSectionSize(
            self.fontMetrics().horizontalAdvance(WIDEST_CELL) + 14)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.slice_row = QHBoxLayout()
        self.slice_label = QLabel("slice")
        self.slice_label.hide()
        self.slice_row.addWidget(self.slice_label)
        self.spins: list[QSpinBox] = []
        self.slice_row.addStretch()
        table_page = QWidget()
        table_layout = QVBoxLayout(table_page)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addLayout(self.slice_row)
        table_layout.addWidget(self.table)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.chart_view, "Histogram")
        self.tabs.addTab(table_page, "Values")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addLayout(form)
        layout.addWidget(self.tabs, 1)
        self._apply_theme()

    # -- loading
    def load(self, tensor: TensorInfo) -> Task | None:
        """Read and summarise on a worker; returns the task (None when there is nothing to read)."""
        self.clear()
        self.tensor = tensor
        if not tensor.has_values:
            self.status.setText("No stored values (shape and dtype only).")
            return None
        size = f"{tensor.nbytes:,} bytes" if tensor.nbytes is not None else "unknown size"
        self.status.setText(f"Reading values ({size})…")

        def work(progress: Any) -> tuple[np.ndarray | None, tensor_stats.TensorStats,
                                         np.ndarray | None]:
            if read_by_parts(tensor):
                shape = tensor.shape or ()
                part = tensor.read_part(tensor_stats.sample_index(shape))  # type: ignore[arg-type]
                progress.check()
                stats = tensor_stats.compute(part, size=tensor.size)
                first = tensor.read_part(tensor_stats.table_index(shape))  # type: ignore[arg-type]
                return None, stats, first
            values = tensor.read()
            progress.check()
            return values, tensor_stats.compute(values), None

        task = Task(work)
        task.signals.finished.connect(lambda result, t=tensor: self._loaded(t, *result))
        task.signals.failed.connect(lambda msg, _d, t=tensor: self._failed(t, msg))
        self.task = task
        return start(task)

    def clear(self) -> None:
        if self.task is not None:
            self.task.cancel()
        self.task = None
        self.tensor = None
        self.values = None
        self.stats = None
        self.first_slice = None
        self.note = ""
        self._shown = (None, ())
        for label in self.stat_labels.values():
            label.setText("–")
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        self.table_model.set_array(np.zeros((0, 0)))
        self._set_spins(())

    def _failed(self, tensor: TensorInfo, message: str) -> None:
        if shiboken6.isValid(self) and tensor is self.tensor:
            self.status.setText(f"Cannot read the values: {message}")
            self.task = None

    def _loaded(self, tensor: TensorInfo, values: np.ndarray | None,
                stats: tensor_stats.TensorStats, first: np.ndarray | None) -> None:
        # The user moved on (or closed the document) while this was reading.
        if not shiboken6.isValid(self) or tensor is not self.tensor:
            return
        self.task = None
        self.values = values
        self.first_slice = first
        self.stats = stats
        note = f"{stats.size:,} values"
        if stats.sampled:
            note += f"; statistics and histogram from a sample of {stats.count:,}"
        if stats.nonfinite:
            note += f"; {stats.nonfinite:,} NaN/Inf left out"
        shape = tuple(values.shape) if values is not None else tuple(tensor.shape or ())
        if values is None and tensor_stats.table_truncated(shape):
            note += (f"; the table shows at most the first {tensor_stats.TABLE_ROWS:,} x "
                     f"{tensor_stats.TABLE_COLS:,} of a slice")
        self.note = note + "."
        self.status.setText(self.note)
        for key, label in self.stat_labels.items():
            value = getattr(stats, key)
            label.setText("–" if value is None else f"{value:.6g}")
        self._plot(stats)
        self._set_spins(shape[:-2] if len(shape) > 2 else ())
        self._show_slice()

    # -- histogram
    def _plot(self, stats: tensor_stats.TensorStats) -> None:
        """A filled step outline over value axes: readable tick labels at any bin count,
        unlike a bar chart's one category label per bin."""
        if not stats.counts:
            return
        self.chart.removeAllSeries()  # a second plot without clear() must not stack series
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        upper = QLineSeries()
        edges = stats.edges
        points = []
        for i, count in enumerate(stats.counts):
            points += [QPointF(edges[i], count), QPointF(edges[i + 1], count)]
        upper.append(points)
        series = QAreaSeries(upper)
        # QAreaSeries does not own its edge: a Python-owned edge freed by the collector while
        # the area was still drawn crashed in AreaChartItem::fixEdgeSeriesDomain (1 run in 4).
        upper.setParent(series)
        series.setName("count")
        self.chart.addSeries(series)
        x_axis = QValueAxis()
        x_axis.setRange(edges[0], edges[-1])
        x_axis.setTickCount(5)
        x_axis.setLabelFormat(value_format(edges[0], edges[-1]))
        y_axis = QValueAxis()
        top = int(max(stats.counts)) or 1
        y_axis.setRange(0, top)
        y_axis.setLabelFormat("%d")
        # Whole counts on every tick: one per count up to 3 (4 ticks over 0..1 read "0 0 0 1"),
        # else Qt's nice numbers (0..5 becomes 0, 2, 4, 6).
        y_axis.setTickCount(min(top + 1, 4))
        if top > 3:
            y_axis.applyNiceNumbers()
        self.chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x_axis)
        series.attachAxis(y_axis)

    def histogram_counts(self) -> list[float]:
        """The plotted bin heights (what tests compare with numpy's own histogram)."""
        out: list[float] = []
        for series in self.chart.series():
            upper = series.upperSeries()  # type: ignore[attr-defined]
            out += [upper.at(i).y() for i in range(0, upper.count(), 2)]
        return out

    # -- values table
    def _set_spins(self, dims: tuple[int, ...]) -> None:
        for spin in self.spins:
            self.slice_row.removeWidget(spin)
            spin.deleteLater()
        self.spins = []
        for i, dim in enumerate(dims):
            spin = QSpinBox()
            spin.setRange(0, max(0, dim - 1))
            spin.setPrefix(f"axis {i}: ")
            spin.valueChanged.connect(lambda _v: self._show_slice())
            self.slice_row.insertWidget(1 + i, spin)
            self.spins.append(spin)
        self.slice_label.setVisible(bool(dims))

    def _show_slice(self) -> None:
        leading = tuple(spin.value() for spin in self.spins)
        if self.values is not None:
            self.table_model.set_array(tensor_stats.slice_2d(self.values, leading))
            return
        if self.tensor is None or self.stats is None:
            return
        if not any(leading) and self.first_slice is not None:
            self._slice_read(self.tensor, leading, self.first_slice)
        else:  # one bounded 2-D slice (at most TABLE_ROWS x TABLE_COLS), read on a worker
            self._read_slice()

    def _read_slice(self) -> None:
        """One read at a time; when it ends, a slice picked meanwhile is read next."""
        if self._slice_reading or self.tensor is None:
            return
        self._slice_reading = True
        tensor, leading = self.tensor, tuple(spin.value() for spin in self.spins)
        index = tensor_stats.table_index(tuple(tensor.shape or ()), leading)
        task = Task(lambda _progress: tensor.read_part(index))  # type: ignore[arg-type]
        task.signals.finished.connect(
            lambda part, t=tensor, at=leading: self._slice_read(t, at, part, worker=True))
        task.signals.failed.connect(
            lambda msg, _d, t=tensor, at=leading: self._slice_failed(t, at, msg))
        start(task, name="kinspect-slice")

    def _current(self, tensor: TensorInfo, leading: tuple[int, ...], worker: bool) -> bool:
        """Whether a read is still wanted (the view may be gone, or show something else)."""
        if not shiboken6.isValid(self):
            return False
        if worker:
            self._slice_reading = False
        spins = tuple(spin.value() for spin in self.spins)
        if tensor is self.tensor and leading == spins:
            return True
        shown_tensor, shown_at = self._shown
        if worker and self.stats is not None and self.values is None and \
                not (shown_tensor is self.tensor and shown_at == spins):
            self._show_slice()  # the user moved on meanwhile: show the slice now wanted
        return False

    def _slice_read(self, tensor: TensorInfo, leading: tuple[int, ...], part: np.ndarray,
                    worker: bool = False) -> None:
        if self._current(tensor, leading, worker):
            self.table_model.set_array(tensor_stats.slice_2d(part))
            self._shown = (tensor, leading)
            self.status.setText(self.note)

    def _slice_failed(self, tensor: TensorInfo, leading: tuple[int, ...], message: str) -> None:
        if self._current(tensor, leading, True):
            self.table_model.set_array(np.zeros((0, 0)))  # no stale slice under the error
            self._shown = (tensor, leading)
            where = ", ".join(str(i) for i in leading)
            self.status.setText(f"Cannot read slice [{where}]: {message}")

    # -- palette
    def _apply_theme(self) -> None:
        theme = QChart.ChartTheme.ChartThemeDark if is_dark(self.palette()) \
            else QChart.ChartTheme.ChartThemeLight
        self.chart.setTheme(theme)
        self.chart.setBackgroundBrush(self.palette().color(QPalette.ColorRole.Base))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_theme()
        super().changeEvent(event)


def value_format(low: float, high: float) -> str:
    """A printf format whose digits tell the ticks of LOW..HIGH apart: three significant
    digits, more when the range is narrow for its magnitude (0.000997..0.001004 read
    "0.000997 0.000999 0.001 0.001 0.001" with three)."""
    span, size = high - low, max(abs(low), abs(high))
    if span <= 0 or size <= 0:
        return "%.3g"
    return f"%.{min(10, max(3, math.ceil(math.log10(size / span)) + 2))}g"
