"""A `QAbstractItemModel` over the document's `Node` tree; children are built on first expand."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QApplication, QStyle

from ..model import Kind, Node

COLUMNS = ("Name", "Kind / class", "Shape", "Dtype", "Parameters")
NAME, TYPE, SHAPE, DTYPE, PARAMS = range(len(COLUMNS))
NODE_ROLE = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex


class DocumentTreeModel(QAbstractItemModel):
    def __init__(self, root: Node, parent: Any = None) -> None:
        super().__init__(parent)
        # The document's root is shown as the single top-level row (its totals and producer
        # are what a user looks at first), so the model hangs it under an invisible container.
        self._root = Node(Kind.GROUP, "")
        self._root._children = [root]
        self.document_root = root
        # Row of each child within its parent, filled one parent at a time: a flat branch of
        # 200,000 graph nodes would otherwise cost a 200,000-item list.index per parent() call.
        self._rows: dict[int, int] = {}
        self._error_icon = QApplication.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxCritical)

    @property
    def root(self) -> Node:
        return self.document_root

    def node(self, index: Index) -> Node:
        return index.internalPointer() if index.isValid() else self._root

    # -- structure
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        children = self.node(parent).children
        if 0 <= row < len(children) and 0 <= column < len(COLUMNS):
            return self.createIndex(row, column, children[row])
        return QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        node = index.internalPointer()
        if node is self.document_root:
            return QModelIndex()
        parent = node.parent
        if parent is None:
            return QModelIndex()
        return self.index_of(parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        node = self.node(parent)
        if parent.isValid() and not node.may_have_children:
            return 0
        return len(node.children)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:
        if not parent.isValid():
            return True
        if parent.column() != 0:
            return False
        return self.node(parent).may_have_children

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(COLUMNS)

    # -- data
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node: Node = index.internalPointer()
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._text(node, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return node.error or (node.name if column == NAME else None)
        if role == Qt.ItemDataRole.DecorationRole and column == NAME and \
                (node.kind == Kind.ERROR or node.error):
            return self._error_icon
        if role == Qt.ItemDataRole.TextAlignmentRole and column == PARAMS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == NODE_ROLE:
            return node
        return None

    @staticmethod
    def _text(node: Node, column: int) -> str:
        if column == NAME:
            return node.name
        if column == TYPE:
            return node.type or node.kind
        if column == SHAPE:
            return node.shape
        if column == DTYPE:
            return node.dtype
        if column == PARAMS:
            return f"{node.params:,}" if node.params else ""
        return ""

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def index_of(self, node: Node) -> QModelIndex:
        """The index of a node (builds the lazy branches on its path)."""
        if node is self._root:
            return QModelIndex()
        if node is self.document_root:
            return self.createIndex(0, 0, node)
        if node.parent is None:
            return QModelIndex()
        return self.createIndex(self._row(node), 0, node)

    def _row(self, node: Node) -> int:
        row = self._rows.get(id(node))
        siblings = node.parent.children  # type: ignore[union-attr]
        if row is None or row >= len(siblings) or siblings[row] is not node:
            for i, child in enumerate(siblings):
                self._rows[id(child)] = i
            row = self._rows[id(node)]
        return row
