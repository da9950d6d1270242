"""The layer-by-layer table (first divergence highlighted) and the error-by-depth plot."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...compare.comparison import Comparison
from ...compare.layers import Diff
from ...compare.report import num
from .charts import chart_view, plot_errors

COLUMNS = ["#", "A", "B", "max |a-b|", "max rel", "ok"]
FIRST_BRUSH = QBrush(QColor("#f4a6a6"))
FAIL_BRUSH = QBrush(QColor("#fbe0e0"))


class LayerTable(QWidget):
    """Emits `selected(Diff)` for the chosen row."""

    selected = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.currentCellChanged.connect(lambda row, *_: self._row_changed(row))
        self.plot = chart_view("error by depth")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.plot)
        split.setSizes([220, 240])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(split)
        self.rows: list[Diff] = []
        self.first_row: int | None = None

    def fill(self, c: Comparison) -> None:
        self.rows = list(c.layers) + [d for d in c.outputs if d.a not in {r.a for r in c.layers}]
        self.table.setRowCount(len(self.rows))
        first = c.divergence
        self.first_row = next((i for i, d in enumerate(self.rows)
                               if first is not None and d.a == first.a), None)
        bold = QFont()
        bold.setBold(True)
        for i, d in enumerate(self.rows):
            cells = [str(i), d.a, d.b, num(d.max_abs), num(d.max_rel),
                     "ok" if d.ok else (d.problem or "FAIL")]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if i == self.first_row:
                    item.setBackground(FIRST_BRUSH)
                    item.setFont(bold)
                elif not d.ok:
                    item.setBackground(FAIL_BRUSH)
                self.table.setItem(i, col, item)
        self.table.resizeColumnsToContents()
        self.summary.setText(summary_text(c))
        limits = [c.tol.limit(d.scale) for d in self.rows]
        plot_errors(self.plot, [d.max_abs for d in self.rows], limits, self.first_row)
        if self.first_row is not None:
            self.table.selectRow(self.first_row)
            self.table.scrollToItem(self.table.item(self.first_row, 0))

    def _row_changed(self, row: int) -> None:
        if 0 <= row < len(self.rows):
            self.selected.emit(self.rows[row])


def summary_text(c: Comparison) -> str:
    if not c.ran:
        return f"Not run: {c.not_run}" if c.not_run else "Not run."
    div = c.divergence
    bad = sum(not d.ok for d in c.layers)
    head = f"{len(c.layers)} layer outputs compared, {bad} past the tolerance " \
           f"(atol {c.tol.atol:g}, rtol {c.tol.rtol:g})."
    if div is None:
        return head + " No divergence."
    ins = ", ".join(f"{n} {num(v)}" for n, v in div.inputs_max_abs.items()) or "none"
    return head + f" First divergence: {div.a}" + (f" ~ {div.b}" if div.b != div.a else "") + \
        f", max |a-b| {num(div.max_abs)}; its inputs' max |a-b|: {ins}."
