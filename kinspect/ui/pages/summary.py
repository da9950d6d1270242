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

from ...graph.outputs import PLACEHOLDER_OPS, OutputCandidate, candidates
from ...model import Document, Layer, Node
from ...report import op_counts, summary_rows
from ..workers import Task, start

if TYPE_CHECKING:
    from ..document_view import DocumentView

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def graph_inputs(doc: Document, limit: int = 12) -> list[str]:
    """A graph's feeds: its Placeholders as `name:0 (dtype, shape)`, as users feed them."""
    out = []
    for gn in [n for n in doc.nodes if n.op in PLACEHOLDER_OPS][:limit]:
        row = doc.root.find(gn.name)
        attrs = row.attrs if row is not None else {}
        parts = [str(attrs["dtype"])] if attrs.get("dtype") else []
        if attrs.get("shape") not in (None, "", "unknown rank"):
            parts.append(str(list(attrs["shape"])) if isinstance(attrs["shape"], (list, tuple))
                         else str(attrs["shape"]))
        out.append(f"{gn.name}:0" + (f" ({', '.join(parts)})" if parts else ""))
    return out


def io_text(doc: Document, outputs: list[OutputCandidate] | None) -> str:
    """Inputs and outputs of a graph, where a user of a .pb looks first (issue 15)."""
    inputs = ", ".join(graph_inputs(doc)) or "none (no Placeholder)"
    if outputs is None:
        found = "finding…"
    else:
        found = ", ".join(f"{c.tensor} ({c.reason})" for c in outputs[:4]) or "none found"
    return f"<b>Inputs:</b> {inputs}<br><b>Outputs:</b> {found}"


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
        self.io: QLabel | None = None
        if doc.nodes and not doc.layers:
            self.io = QLabel(io_text(doc, None))
            self.io.setWordWrap(True)
            self.io.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.io.setContentsMargins(6, 6, 6, 6)
            self.io.setObjectName("graphInputsOutputs")
            layout.addWidget(self.io)
            task = Task(lambda _progress: candidates(doc, limit=4), doc.path)
            task.signals.finished.connect(self._outputs_found)  # bound: dropped with the page
            start(task, name="kinspect-summary-outputs")
        layout.addWidget(self.table)
        layout.addWidget(self.totals)

    def _outputs_found(self, found: list[OutputCandidate]) -> None:
        if self.io is not None:
            self.io.setText(io_text(self.view.document, found))

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
