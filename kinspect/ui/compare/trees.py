"""A's and B's trees side by side, row for row: row i of A is the same thing as row i of B.

Top-level rows are the structure's pairs (a layer or node of A beside its match in B, or an
empty row where one side has nothing); child rows are the layer's weights, A's tensor beside
B's. Because both trees have the same rows, scrolling, expanding and selecting one does the
same to the other.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHBoxLayout, QTreeWidget, QTreeWidgetItem, QWidget

from ...compare.comparison import Comparison
from ...compare.report import num
from ...compare.structure import ADDED, CHANGED, EQUAL, REMOVED, Pair
from ...compare.weights import WeightDiff, stored_tensors
from ...model import TensorInfo, format_shape

# Row colours (light, dark): what the user reads first.
COLOURS = {ADDED: ("#d4f4d4", "#1f4d1f"), REMOVED: ("#f8d0d0", "#5c1f1f"),
           CHANGED: ("#fff0c0", "#5a4a10")}
WeightRow = tuple[WeightDiff | None, TensorInfo | None, TensorInfo | None]
ROLE = Qt.ItemDataRole.UserRole  # the row's payload: ("pair", Pair) or ("weight", WeightDiff)


def colour(status: str, dark: bool) -> QBrush | None:
    pair = COLOURS.get(status)
    return QBrush(QColor(pair[1] if dark else pair[0])) if pair else None


class SideBySideTrees(QWidget):
    """Emits `selected(kind, payload)` for the current row: ("pair", Pair) or
    ("weight", (WeightDiff | None, TensorInfo | None, TensorInfo | None))."""

    selected = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree_a, self.tree_b = _tree("A"), _tree("B")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree_a)
        layout.addWidget(self.tree_b)
        self._syncing = False
        for one, other in ((self.tree_a, self.tree_b), (self.tree_b, self.tree_a)):
            one.verticalScrollBar().valueChanged.connect(other.verticalScrollBar().setValue)
            one.itemExpanded.connect(lambda item, o=other: self._mirror(item, o, True))
            one.itemCollapsed.connect(lambda item, o=other: self._mirror(item, o, False))
            one.currentItemChanged.connect(lambda item, _p, o=other: self._select(item, o))
        self.rows: list[Pair] = []

    def fill(self, c: Comparison, dark: bool = False) -> None:
        self.tree_a.clear()
        self.tree_b.clear()
        self.rows = list(c.structure.pairs)
        by_a = {d.a: d for d in c.weights.diffs}
        by_b = {d.b: d for d in c.weights.diffs}
        layers_a = {la.name: la for la in c.a.doc.all_layers()} if c.a.doc else {}
        layers_b = {lb.name: lb for lb in c.b.doc.all_layers()} if c.b.doc else {}
        all_b = {t.name: t for t in stored_tensors(c.b.doc).values()} if c.b.doc else {}
        for pair in self.rows:
            weights = _weight_rows(pair, layers_a, layers_b, by_a, by_b, all_b)
            status = pair.status
            if status == EQUAL and any(d is not None and not d.ok for d, _, _ in weights):
                status = CHANGED  # same layer, different values
            item_a, item_b = _pair_items(pair, status, dark)
            for diff, ta, tb in weights:
                wa, wb = _weight_items(diff, ta, tb, dark)
                for item, child in ((item_a, wa), (item_b, wb)):
                    child.setData(0, ROLE, ("weight", (diff, ta, tb)))
                    item.addChild(child)
            self.tree_a.addTopLevelItem(item_a)
            self.tree_b.addTopLevelItem(item_b)
        for tree in (self.tree_a, self.tree_b):
            for col in range(tree.columnCount()):
                tree.resizeColumnToContents(col)
            # weight rows (collapsed, so not measured) hold the longest names
            tree.setColumnWidth(0, max(tree.columnWidth(0), 200))

    def select_pair(self, name_a: str) -> bool:
        """Select the row of A's layer or node NAME (`node:0` finds `node`)."""
        node = name_a.split(":")[0] if ":" in name_a and not name_a.endswith(":") else name_a
        for i, pair in enumerate(self.rows):
            if pair.a in (name_a, node) or (pair.a is None and pair.b == name_a):
                self.tree_a.setCurrentItem(self.tree_a.topLevelItem(i))
                self.tree_a.scrollToItem(self.tree_a.topLevelItem(i))
                return True
        return False

    def status_of_row(self, i: int) -> str:
        return str(self.tree_a.topLevelItem(i).data(1, ROLE))

    # -- keeping the two trees in step
    def _mirror(self, item: QTreeWidgetItem, other: QTreeWidget, expand: bool) -> None:
        twin = _twin(item, other)
        if twin is not None and twin.isExpanded() != expand:
            twin.setExpanded(expand)

    def _select(self, item: QTreeWidgetItem | None, other: QTreeWidget) -> None:
        if item is None or self._syncing:
            return
        self._syncing = True
        try:
            twin = _twin(item, other)
            if twin is not None:
                other.setCurrentItem(twin)
            kind, payload = item.data(0, ROLE) or ("", None)
            if kind:
                self.selected.emit(kind, payload)
        finally:
            self._syncing = False


def _tree(side: str) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setHeaderLabels([f"{side}: name", "type", "shape", "max |a-b|"])
    tree.setUniformRowHeights(True)
    tree.setAlternatingRowColors(False)
    return tree


def _twin(item: QTreeWidgetItem, other: QTreeWidget) -> QTreeWidgetItem | None:
    parent = item.parent()
    if parent is None:
        tree = item.treeWidget()
        return other.topLevelItem(tree.indexOfTopLevelItem(item))
    top = other.topLevelItem(item.treeWidget().indexOfTopLevelItem(parent))
    return top.child(parent.indexOfChild(item)) if top is not None else None


def _pair_items(pair: Pair, status: str, dark: bool) -> tuple[QTreeWidgetItem, QTreeWidgetItem]:
    tip = "; ".join(pair.changes) if pair.changes else status
    items = []
    for name, kind in ((pair.a, pair.kind_a), (pair.b, pair.kind_b)):
        item = QTreeWidgetItem([name or "", kind if name else "", "", ""])
        item.setData(0, ROLE, ("pair", pair))
        item.setData(1, ROLE, status)
        item.setToolTip(0, tip)
        brush = colour(status, dark)
        if brush is not None and name:
            for col in range(4):
                item.setBackground(col, brush)
        items.append(item)
    return items[0], items[1]


def _weight_rows(pair: Pair, layers_a: dict[str, Any], layers_b: dict[str, Any],
                 by_a: dict[str, WeightDiff], by_b: dict[str, WeightDiff],
                 all_b: dict[str, TensorInfo]) -> list[WeightRow]:
    """The layer's weights, each A tensor beside the B tensor it was compared with."""
    la = layers_a.get(pair.a or "")
    lb = layers_b.get(pair.b or "")
    tensors_b = {t.name: t for t in (lb.weights if lb else [])}
    rows: list[WeightRow] = []
    used_b: set[str] = set()
    for ta in la.weights if la else []:
        diff = by_a.get(ta.name)
        tb = (tensors_b.get(diff.b) or all_b.get(diff.b)) if diff else None
        if tb is not None:
            used_b.add(tb.name)
        rows.append((diff, ta, tb))
    for tb in lb.weights if lb else []:
        if tb.name not in used_b:
            rows.append((by_b.get(tb.name), None, tb))
    return rows


def _weight_items(diff: WeightDiff | None, ta: TensorInfo | None, tb: TensorInfo | None,
                  dark: bool) -> tuple[QTreeWidgetItem, QTreeWidgetItem]:
    status = EQUAL if diff is not None and diff.ok else CHANGED if diff is not None else \
        (REMOVED if tb is None else ADDED)
    error = "" if diff is None else (diff.problem or num(diff.max_abs))
    items = []
    for t in (ta, tb):
        item = QTreeWidgetItem([t.name if t else "", t.dtype if t else "",
                                format_shape(t.shape) if t else "", error if t else ""])
        brush = colour(status, dark)
        if brush is not None and t is not None:
            for col in range(4):
                item.setBackground(col, brush)
        items.append(item)
    return items[0], items[1]
