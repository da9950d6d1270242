"""The Summary page: what `model.summary()` prints (layer, type, output shape, parameters and
the totals), or for a graph the count of nodes per op. Double-click a row to find it in the tree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...model import Document, Layer, Node
from ...report import op_counts, summary_rows

if TYPE_CHECKING:
    from ..document_view import DocumentView

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def totals_text(doc: Document) -> str:
    if doc.summary is None:
        return ""
    s = doc.summary
    return (f"Total params: {s.total:,}    Trainable params: {s.trainable:,}    "
            f"Non-trainable params: {s.non_trainable:,}")


class SummaryPage(QWidget):
    def __init__(self, view: DocumentView) -> None:
        super().__init__()
        self.view = view
        doc = view.document
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.cellDoubleClicked.connect(self._reveal)
        self.layers: list[Layer] = []
        if doc.layers:
            self._fill_layers(doc)
        else:
            self._fill_ops(doc)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.totals = QLabel(totals_text(doc))
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.totals.setStyleSheet("font-weight: bold; padding: 4px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.totals)

    def _fill_layers(self, doc: Document) -> None:
        rows = summary_rows(doc)
        self.layers = list(doc.all_layers())  # same pre-order as summary_rows
        self.table.setColumnCount(4)
        self.table.setHorizontalHeaderLabels(["Layer", "Type", "Output shape", "Param #"])
        self.table.setRowCount(len(rows))
        for r, (name, class_name, shape, params) in enumerate(rows):
            for c, text in enumerate((name, class_name, shape, f"{params:,}")):
                item = QTableWidgetItem(text)
                if c == 2 and not shape:
                    item.setToolTip("not known without running the model: worked out from the "
                                    "config only for the layers kinspect knows, and only "
                                    "when the stored weights agree")
                if c == 3:
                    item.setTextAlignment(RIGHT)
                self.table.setItem(r, c, item)

    def _fill_ops(self, doc: Document) -> None:
        counts = op_counts(doc)
        self.table.setColumnCount(2)
        self.table.setHorizontalHeaderLabels(["Op", "Nodes"])
        self.table.setRowCount(len(counts))
        for r, (op, count) in enumerate(counts):
            self.table.setItem(r, 0, QTableWidgetItem(op))
            item = QTableWidgetItem(f"{count:,}")
            item.setTextAlignment(RIGHT)
            self.table.setItem(r, 1, item)

    def rows(self) -> list[list[str]]:
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]

    def _reveal(self, row: int, _column: int) -> None:
        """Select the double-clicked layer in the tree; for an op, list its nodes (Find, Filter)."""
        if not self.layers:
            op = self.table.item(row, 0).text()
            self.view.open_search()
            self.view.search_bar.find_op(op)
            self.view.search_bar.filter_button.setChecked(True)
            return
        if row >= len(self.layers):
            return
        layer = self.layers[row]
        node = _find_ref(self.view.document.root, layer)
        if node is not None:
            self.view.select_node(node)


def _find_ref(root: Node, ref: object) -> Node | None:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.ref is ref:
            return node
        stack.extend(node.children)
    return None


def create(view: DocumentView) -> QWidget | None:
    """Registered in ui/pages.py; no page for documents with neither layers nor graph nodes."""
    doc = view.document
    if not doc.layers and not doc.nodes:
        return None
    return SummaryPage(view)
