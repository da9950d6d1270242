"""The details pane: every property of the selected node, each value selectable and copyable."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..graph.outputs import tensor_name
from ..model import GraphNode, Kind, Node, TensorInfo, format_shape
from .tensor_view import TensorView


def copy_names(node: Node) -> list[tuple[str, str]]:
    """(menu label, text) for the copy actions a node offers: its name, and for graph nodes and
    tensors the tensor name with `:0` that running a graph wants. Not for a Keras layer: its
    frozen graph names the outputs itself (`Identity:0`), so `layer:0` would not exist."""
    out = [("Copy name", node.name)]
    if node.kind in (Kind.GRAPH_NODE, Kind.TENSOR):
        out.append(("Copy tensor name (:0)", tensor_name(node.name)))
    if node.tensor is not None and node.tensor.name != node.name:
        out.append(("Copy stored name", node.tensor.name))
    return out


def copy_menu(menu: QMenu, node: Node) -> None:
    clip = QGuiApplication.clipboard()
    for label, text in copy_names(node):
        menu.addAction(label, lambda text=text: clip.setText(text))


def node_properties(node: Node) -> list[tuple[str, str]]:
    """(property, value) rows for a node; plain data, so tests can check it without a view."""
    rows: list[tuple[str, str]] = [("name", node.name), ("kind", node.kind)]
    if node.type:
        rows.append(("type", node.type))
    if node.tensor is not None:
        t = node.tensor
        rows += [("stored name", t.name), ("shape", format_shape(t.shape)), ("dtype", t.dtype)]
        if t.size is not None:
            rows.append(("size", f"{t.size:,} elements"))
        if t.nbytes is not None:
            rows.append(("bytes", f"{t.nbytes:,}"))
    if node.params:
        rows.append(("parameters", f"{node.params:,}"))
    if node.error:
        rows.append(("error", node.error))
    for key, value in node.attrs.items():
        if key in ("name", "config", "value") and not isinstance(value, (str, int, float, bool)):
            continue
        if key == "name" and value == node.name:
            continue
        if key.endswith(" params") and isinstance(value, int):
            rows.append((key, f"{value:,}"))  # as the tree and the status bar print counts
        else:
            rows.append((key, value_text(value)))
    return rows


def value_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return str(value)


def pretty_json(value: Any, indent: int = 0) -> str:
    """JSON with one key per line, but short lists of scalars kept on one line (`[2, 2]`):
    configs are full of shapes and strides that json.dumps(indent=2) spreads over lines."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(str(k))}: {pretty_json(v, indent + 2)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, (list, tuple)):
        flat = json.dumps(list(value), default=str)
        if len(flat) <= 72 and not any(isinstance(v, (dict, list, tuple)) and v
                                       for v in value):
            return flat
        items = [inner + pretty_json(v, indent + 2) for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, default=str)


def long_text(node: Node) -> str:
    """A config or structured value pretty-printed for the lower text view."""
    for key in ("config", "value"):
        value = node.attrs.get(key)
        if isinstance(value, (dict, list)):
            return pretty_json(value)
    ref = node.ref
    if isinstance(ref, GraphNode):
        data = {"name": ref.name, "op": ref.op, "inputs": ref.inputs, "outputs": ref.outputs}
        if ref.device:
            data["device"] = ref.device
        if ref.attrs:
            data["attrs"] = ref.attrs
        return pretty_json(data)
    return ""


class DetailsPane(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title.setStyleSheet("font-weight: bold; padding: 2px;")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Property", "Value"])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlaceholderText("Select a row to see its configuration, attributes or values.")
        self.tensor_view = TensorView()
        self.lower = QStackedWidget()
        self.lower.addWidget(self.text)
        self.lower.addWidget(self.tensor_view)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.lower)
        split.setSizes([300, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(split)
        self.node: Node | None = None
        self._title = ""

    def show_node(self, node: Node | None, activation: TensorInfo | None = None) -> None:
        """Show NODE; ACTIVATION (its output from the last run) shows in the tensor view when
        the node holds no tensor of its own."""
        self.node = node
        self.tensor_view.clear()
        if node is None:
            self._title = ""
            self.title.setText("")
            self.table.setRowCount(0)
            self.text.setPlainText("")
            self.lower.setCurrentWidget(self.text)
            return
        self._title = f"{node.name}  —  {node.type or node.kind}"
        self.title.setToolTip(self._title)
        self._elide_title()
        rows = node_properties(node)
        self.table.setRowCount(len(rows))
        for i, (key, value) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(key))
            item = QTableWidgetItem(value)
            item.setToolTip(value[:2000])
            self.table.setItem(i, 1, item)
        self.text.setPlainText(long_text(node))
        tensor = node.tensor if node.tensor is not None else activation
        if tensor is not None:
            self.lower.setCurrentWidget(self.tensor_view)
            self.tensor_view.load(tensor)
        else:
            self.lower.setCurrentWidget(self.text)

    def _elide_title(self) -> None:
        """Long graph paths lose their middle, not the end that names the node."""
        metrics = self.title.fontMetrics()
        width = max(50, self.width() - 8)
        self.title.setText(metrics.elidedText(self._title, Qt.TextElideMode.ElideMiddle, width))

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide_title()

    @property
    def node_rows(self) -> list[tuple[str, str]]:
        return [(self.table.item(r, 0).text(), self.table.item(r, 1).text())
                for r in range(self.table.rowCount())]

    def _menu(self, pos: Any) -> None:
        item = self.table.itemAt(pos)
        if item is None:
            return
        value = self.table.item(item.row(), 1).text()
        menu = QMenu(self)
        menu.addAction("Copy value", lambda: QGuiApplication.clipboard().setText(value))
        if self.node is not None:
            copy_menu(menu, self.node)
        menu.exec(self.table.viewport().mapToGlobal(pos))
