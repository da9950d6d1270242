"""A `QAbstractItemModel` over the document's `Node` tree; children are built on first expand."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QApplication, QStyle

from ..model import Kind, Node

COLUMNS = ("Name", "Kind / class", "Shape", "Dtype", "Parameters", "Activation")
NAME, TYPE, SHAPE, DTYPE, PARAMS, ACTIVATION = range(len(COLUMNS))
# Rows that can have an activation after a run with layers: a Keras layer, a graph node.
ACTIVATED = (Kind.LAYER, Kind.GRAPH_NODE)

Index = QModelIndex | QPersistentModelIndex
# QTreeView asks every row of an expanded branch for flags, index and hasChildren when it lays
# out: with 200,000 rows, building an ItemFlag per call (enum `|`) alone cost 1.9 s, so these
# answers are computed once.
ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
NO_FLAGS = Qt.ItemFlag.NoItemFlags
# Graph nodes and layers get a check box (pick as an output) once the Outputs page sets `picks`.
PICK_FLAGS = ROW_FLAGS | Qt.ItemFlag.ItemIsUserCheckable
PICKABLE = (Kind.GRAPH_NODE, Kind.LAYER)
# Even with cheap answers QTreeView lays out every row of an expanded branch (11 s for 200,000
# graph nodes here), so a branch with more children is shown as groups of CHUNK rows. The groups
# exist only in this model; the document's Nodes keep their real parents.
CHUNK = 1000


class DocumentTreeModel(QAbstractItemModel):
    def __init__(self, root: Node, parent: Any = None) -> None:
        super().__init__(parent)
        # The document's root is shown as the single top-level row (its totals and producer
        # are what a user looks at first), so the model hangs it under an invisible container.
        self._root = Node(Kind.GROUP, "")
        self._root.set_children([root], adopt=False)
        self.document_root = root
        # Row of each child within its parent, filled one parent at a time: a flat branch of
        # 200,000 graph nodes would otherwise cost a 200,000-item list.index per parent() call.
        self._rows: dict[int, int] = {}
        self._chunks: dict[int, list[Node]] = {}  # id(big parent) -> its chunk rows
        self._chunk_ids: set[int] = set()
        self._display_parent: dict[int, Node] = {}  # id(child of a big parent) -> its chunk
        self.picks: Any = None  # output_picks.Picks, set by the Outputs page
        # Layer or node name -> (statistics text, TensorInfo of its output), set by the Run
        # page after a run with every layer's activations.
        self.activations: dict[str, tuple[str, Any]] = {}
        self._error_icon = QApplication.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxCritical)

    def node(self, index: Index) -> Node:
        return index.internalPointer() if index.isValid() else self._root

    # -- structure
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        children = self._kids(parent.internalPointer() if parent.isValid() else self._root)
        if 0 <= row < len(children) and 0 <= column < len(COLUMNS):
            return self.createIndex(row, column, children[row])
        return QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        node = index.internalPointer()
        if node is self.document_root:
            return QModelIndex()
        parent = self._parent_of(node)
        if parent is None:
            return QModelIndex()
        return self.index_of(parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        node = self.node(parent)
        if parent.isValid() and not node.may_have_children:
            return 0
        return len(self._kids(node))

    # -- big branches shown in chunks
    def _kids(self, node: Node) -> list[Node]:
        """The rows shown under `node`: its children, or chunk rows when it has many."""
        if id(node) in self._chunk_ids:
            return node.children
        children = node.children
        if len(children) <= CHUNK:
            return children
        chunks = self._chunks.get(id(node))
        if chunks is None:
            chunks = self._chunks[id(node)] = self._make_chunks(node, children)
        return chunks

    def _make_chunks(self, parent: Node, children: list[Node]) -> list[Node]:
        chunks = []
        total = len(children)
        for n, start in enumerate(range(0, total, CHUNK)):
            part = children[start:start + CHUNK]
            chunk = Node(Kind.GROUP, f"[{start:,} … {start + len(part) - 1:,}]",
                         f"{len(part):,} of {total:,}")
            chunk.set_children(part, adopt=False)  # the rows keep their real parent
            chunk.parent = parent
            self._chunk_ids.add(id(chunk))
            self._rows[id(chunk)] = n
            for i, child in enumerate(part):
                self._display_parent[id(child)] = chunk
                self._rows[id(child)] = i
            chunks.append(chunk)
        return chunks

    def _parent_of(self, node: Node) -> Node | None:
        parent = node.parent
        if parent is None or id(node) in self._chunk_ids:
            return parent
        if len(parent.children) > CHUNK:
            self._kids(parent)  # makes the chunks and their row maps
            return self._display_parent.get(id(node), parent)
        return parent

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:
        if not parent.isValid():
            return True
        if parent.column():
            return False
        return parent.internalPointer().may_have_children

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
        if role == Qt.ItemDataRole.CheckStateRole and self._pickable(node, column):
            return Qt.CheckState.Checked if node.name in self.picks else Qt.CheckState.Unchecked
        return None

    def _pickable(self, node: Node, column: int) -> bool:
        return self.picks is not None and column == NAME and node.kind in PICKABLE

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """A check box click picks (or unpicks) the row as an output to freeze."""
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid() or \
                not self._pickable(index.internalPointer(), index.column()):
            return False
        on = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) \
            else value
        self.picks.set_picked(index.internalPointer().name, on)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    def set_activations(self, activations: dict[str, tuple[str, Any]]) -> None:
        """Show each layer's (or node's) activation statistics in the Activation column."""
        self.activations = activations
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, ACTIVATION, ACTIVATION)
        self.layoutChanged.emit()  # rows are lazy: let the view ask again for what it shows

    def activation(self, node: Node | None) -> Any:
        """The TensorInfo of NODE's activation from the last run, or None."""
        if node is None or node.kind not in ACTIVATED:
            return None
        found = self.activations.get(node.name)
        return found[1] if found else None

    def _text(self, node: Node, column: int) -> str:
        if column == ACTIVATION:
            found = self.activations.get(node.name) if node.kind in ACTIVATED else None
            return found[0] if found else ""
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
            return NO_FLAGS
        return PICK_FLAGS if self._pickable(index.internalPointer(), index.column()) \
            else ROW_FLAGS

    def index_of(self, node: Node) -> QModelIndex:
        """The index of a node (builds the lazy branches on its path)."""
        if node is self._root:
            return QModelIndex()
        if node is self.document_root:
            return self.createIndex(0, 0, node)
        parent = self._parent_of(node)
        if parent is None:
            return QModelIndex()
        return self.createIndex(self._row(node, parent), 0, node)

    def _row(self, node: Node, parent: Node) -> int:
        row = self._rows.get(id(node))
        siblings = self._kids(parent)
        if row is None or row >= len(siblings) or siblings[row] is not node:
            for i, child in enumerate(siblings):
                self._rows[id(child)] = i
            row = self._rows[id(node)]
        return row
